"""refresh_locks: which process is refreshing a store's OAuth token (SQLite; PostgreSQL uses an
advisory lock and leaves the table empty).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refresh_locks",
        sa.Column("store_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_refresh_locks_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_refresh_locks")),
    )


def downgrade() -> None:
    op.drop_table("refresh_locks")
