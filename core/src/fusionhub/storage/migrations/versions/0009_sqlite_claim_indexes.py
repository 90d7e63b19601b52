"""SQLite: indexes for a claim and a child's settle that cost the same whatever the backlog.

A claim looked for the first due job of a store with room by walking queued jobs in run_at
order and skipping every job of a busy store: with 50 stores × 200 queued items each at its
limit, about 10,000 rows per claim (3 ms). It now walks the stores that have queued jobs
(`status, store_id, …`: one index step per store) and takes each one's first due job from the
same index (80 µs). A child's settle counts its parent's finished children from
`parent_id, status` without reading the rows. Nothing on PostgreSQL, whose claims go through
procrastinate's lines (migration 0007).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_jobs_status_store_id_run_at_created_at": ["status", "store_id", "run_at", "created_at"],
    "ix_jobs_parent_id_status": ["parent_id", "status"],
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, columns in INDEXES.items():
        op.create_index(name, "jobs", columns)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in INDEXES:
        op.drop_index(name, table_name="jobs")
