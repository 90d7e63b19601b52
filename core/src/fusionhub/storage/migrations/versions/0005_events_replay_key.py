"""events.replay_key: a webhook delivery's key from signed data only, unique per store, so a replay
under rewritten (unsigned) id or time headers is dropped in every process and after restarts.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replay_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_events_store_id_replay_key"), ["store_id", "replay_key"])


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_events_store_id_replay_key"), type_="unique")
        batch_op.drop_column("replay_key")
