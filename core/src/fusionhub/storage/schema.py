"""The tables, as SQLAlchemy Core metadata. Migrations create them; code reads these objects.

Times are epoch seconds (floats) from the runtime's Clock, so virtual time drives the queue
and the buckets exactly as it drives everything else.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# JSONB on PostgreSQL, JSON text elsewhere.
Json = sa.JSON().with_variant(JSONB(), "postgresql")
Id = sa.Uuid(as_uuid=False)

plugins = sa.Table(
    "plugins",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("api", sa.Text),
    sa.Column("auth", sa.String(32)),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("registered_at", sa.Float, nullable=False),
)

plugin_contracts = sa.Table(
    "plugin_contracts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("plugin_id", Id, sa.ForeignKey("plugins.id", ondelete="CASCADE"), nullable=False),
    sa.Column("capability", sa.String(64), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("constraints", Json, nullable=False),
    sa.Column("workaround_description", sa.Text),
    sa.Column("automation_enabled", sa.Boolean, nullable=False),
    # The plugin's own default; `automation_enabled` is the host's choice once it made one.
    sa.Column("automation_default", sa.Boolean, nullable=False),
    sa.Column("automation_overridden", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("plugin_id", "capability"),
)

stores = sa.Table(
    "stores",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("credentials_encrypted", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

plugin_instances = sa.Table(
    "plugin_instances",
    metadata,
    sa.Column("id", Id, primary_key=True),
    # Unique: a store belongs to exactly one platform.
    sa.Column("store_id", Id, sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("plugin_id", Id, sa.ForeignKey("plugins.id"), nullable=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("is_enabled", sa.Boolean, nullable=False, default=True),
    # Event polling for platforms without webhooks: where the last poll stopped, when it ran.
    sa.Column("event_cursor", sa.Text),
    sa.Column("events_polled_at", sa.Float),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("store_id", Id, sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("capability", sa.String(64), nullable=False),
    sa.Column("params", Json, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("throttled", sa.Integer, nullable=False, default=0),
    sa.Column("claims", sa.Integer, nullable=False, server_default="0"),
    sa.Column("run_at", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float),
    sa.Column("worker_id", sa.String(100)),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("result", Json),
    sa.Column("error_category", sa.String(32)),
    sa.Column("error_message", sa.Text),
    sa.Column("progress_done", sa.Integer, nullable=False, default=0),
    sa.Column("progress_total", sa.Integer),
    sa.Column("parent_id", Id, sa.ForeignKey("jobs.id", ondelete="CASCADE")),
    sa.Column("item_index", sa.Integer),
    sa.Column("idempotency_key", sa.String(255), unique=True),
    sa.Column("level", sa.String(16)),
    sa.Column("state", Json, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("run_id", sa.BigInteger),  # PostgreSQL: the procrastinate job running it (fusionhub.jobs.pg)
    sa.Index(None, "status", "run_at"),
    sa.Index(None, "parent_id", "item_index"),
    sa.Index(None, "store_id", "status"),
    sa.Index(None, "store_id", "status", "run_at"),
    # A child's settle counts its parent's finished children. SQLite's claim walks the stores that
    # have queued jobs, then each one's first due job (`fusionhub.jobs.sqlite`); PostgreSQL's
    # promotion takes a store line's next job in order (`fusionhub_promote_v1`): each from an
    # index, whatever the backlog (migrations 0009, 0011).
    sa.Index(None, "parent_id", "status"),
    sa.Index(None, "status", "store_id", "run_at", "created_at").ddl_if(dialect="sqlite"),
    sa.Index(None, "store_id", "status", "run_at", "created_at", "item_index").ddl_if(dialect="postgresql"),
)

rate_buckets = sa.Table(
    "rate_buckets",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("capacity", sa.Float, nullable=False),
    sa.Column("refill_rate", sa.Float, nullable=False),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("last_refill", sa.Float, nullable=False),
)

# Who is refreshing a store's OAuth token (SQLite; PostgreSQL uses an advisory lock): one at a time.
refresh_locks = sa.Table(
    "refresh_locks",
    metadata,
    sa.Column("store_id", Id, sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),  # wall-clock seconds: the lock is between processes
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("store_id", Id, sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("delivery_id", sa.String(300), nullable=False),
    sa.Column("replay_key", sa.String(128)),  # signed data's key: a replay under rewritten headers is this one
    sa.Column("resource_id", sa.Text),
    sa.Column("topic", sa.Text),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("occurred_at", sa.Float),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.UniqueConstraint("store_id", "delivery_id"),
    sa.UniqueConstraint("store_id", "replay_key"),  # NULLs are distinct: events without a key never clash
)

# A store bound to its plugin's sandbox (`stores add --sandbox`): the fake shop, kept between processes.
sandbox_states = sa.Table(
    "sandbox_states",
    metadata,
    sa.Column("store_id", Id, sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("state", sa.LargeBinary, nullable=False),  # the sandbox's snapshot (fusionhub.sandbox.persistence)
    sa.Column("version", sa.Integer, nullable=False),  # +1 per saved change: a process restores only when it moved
    sa.Column("updated_at", sa.Float, nullable=False),
)

# A store's rate limit lowered to `factor` of its own until `until` (simulate_rate_limit), for every worker.
simulated_limits = sa.Table(
    "simulated_limits",
    metadata,
    sa.Column("store_id", Id, sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("factor", sa.Float, nullable=False),
    sa.Column("since", sa.Float, nullable=False),
    sa.Column("until", sa.Float, nullable=False),
)
