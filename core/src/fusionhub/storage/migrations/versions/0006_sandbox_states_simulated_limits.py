"""sandbox_states: the kept fake shop of each store bound to its plugin's sandbox (`stores add
--sandbox`); simulated_limits: a store's lowered rate limit until a time (`stores
simulate-rate-limit`), honoured by every worker.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sandbox_states",
        sa.Column("store_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_sandbox_states_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_sandbox_states")),
    )
    op.create_table(
        "simulated_limits",
        sa.Column("store_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_simulated_limits_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_simulated_limits")),
    )


def downgrade() -> None:
    op.drop_table("simulated_limits")
    op.drop_table("sandbox_states")
