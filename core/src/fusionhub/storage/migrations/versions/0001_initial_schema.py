"""Initial schema: plugins, plugin_contracts, stores, plugin_instances, jobs, rate_buckets, events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "plugins",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("api", sa.Text(), nullable=True),
        sa.Column("auth", sa.String(length=32), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugins")),
        sa.UniqueConstraint("slug", name=op.f("uq_plugins_slug")),
    )
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Float(), nullable=False),
        sa.Column("refill_rate", sa.Float(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("last_refill", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_buckets")),
    )
    op.create_table(
        "stores",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        sa.UniqueConstraint("name", name=op.f("uq_stores_name")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("store_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.String(length=300), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.Float(), nullable=True),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_events_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("store_id", "delivery_id", name=op.f("uq_events_store_id_delivery_id")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("store_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("capability", sa.String(length=64), nullable=False),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.Column("run_at", sa.Float(), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("worker_id", sa.String(length=100), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column(
            "result", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("error_category", sa.String(length=32), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("item_index", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column(
            "state", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["jobs.id"], name=op.f("fk_jobs_parent_id_jobs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_jobs_store_id_stores"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_jobs_idempotency_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_parent_id_item_index"), ["parent_id", "item_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_status_run_at"), ["status", "run_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_store_id_status"), ["store_id", "status"], unique=False)

    op.create_table(
        "plugin_contracts",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("plugin_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("capability", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column(
            "constraints", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("workaround_description", sa.Text(), nullable=True),
        sa.Column("automation_enabled", sa.Boolean(), nullable=False),
        sa.Column("automation_default", sa.Boolean(), nullable=False),
        sa.Column("automation_overridden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plugin_id"], ["plugins.id"], name=op.f("fk_plugin_contracts_plugin_id_plugins"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_contracts")),
        sa.UniqueConstraint("plugin_id", "capability", name=op.f("uq_plugin_contracts_plugin_id_capability")),
    )
    op.create_table(
        "plugin_instances",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("store_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("plugin_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("event_cursor", sa.Text(), nullable=True),
        sa.Column("events_polled_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["plugin_id"], ["plugins.id"], name=op.f("fk_plugin_instances_plugin_id_plugins")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_plugin_instances_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_instances")),
        sa.UniqueConstraint("store_id", name=op.f("uq_plugin_instances_store_id")),
    )


def downgrade() -> None:

    op.drop_table("plugin_instances")
    op.drop_table("plugin_contracts")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_store_id_status"))
        batch_op.drop_index(batch_op.f("ix_jobs_status_run_at"))
        batch_op.drop_index(batch_op.f("ix_jobs_parent_id_item_index"))

    op.drop_table("jobs")
    op.drop_table("events")
    op.drop_table("stores")
    op.drop_table("rate_buckets")
    op.drop_table("plugins")
