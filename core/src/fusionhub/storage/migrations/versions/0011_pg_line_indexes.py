"""PostgreSQL: indexes for the promotion of a store line's next job and a child's settle.

`fusionhub_promote_v1` (migration 0007) takes a store's first parked job in
`run_at, created_at, item_index` order. With only `store_id, status, run_at`, the per-item jobs
of a bulk (one run_at) were all read and sorted at every promotion: a bulk of 200 items read
20,000 rows through its line (1 ms a promotion in the 50-store scale scenario). A child's settle
counts its parent's finished children (`fusionhub_exchange_v2`, migration 0008), from
`parent_id, status` now rather than every child's row. SQLite has its own (migration 0009).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_jobs_store_id_status_run_at_created_at_item_index": [
        "store_id",
        "status",
        "run_at",
        "created_at",
        "item_index",
    ],
    "ix_jobs_parent_id_status": ["parent_id", "status"],
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, columns in INDEXES.items():
        op.create_index(name, "jobs", columns)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.drop_index(name, table_name="jobs")
