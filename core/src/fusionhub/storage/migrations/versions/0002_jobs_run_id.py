"""jobs.run_id: the procrastinate job running a job (PostgreSQL backend), set when it is claimed;
an index to find a store's next queued job in order.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_jobs_store_id_status_run_at"), ["store_id", "status", "run_at"])


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_store_id_status_run_at"))
        batch_op.drop_column("run_id")
