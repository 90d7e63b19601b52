"""PostgreSQL: a rate-bucket spend as one server-side call (`fusionhub_bucket_spend_v1`).

`PgBucketStore.acquire` was a transaction of four round trips (BEGIN, lock the charged rows,
spend, COMMIT), and a refusal (the tokens not there yet, most attempts of a busy store) locked
the rows too: a write to the WAL and a flush at COMMIT for nothing spent. The call runs in
autocommit: one round trip; it looks first without locks, and a refusal writes nothing.
The refill is `fusionhub.ratelimit.sql_store._refilled`'s, on the database's clock (`now()`),
as `PgBucketStore` reads it. Nothing on SQLite.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# p_keys: the charged buckets, each once, sorted (two callers lock in the same order: no deadlock);
# p_costs: what each is charged; p_capacities, p_rates: their shapes, to create a missing one full.
# Rows: every bucket's key, level and refill rate before the call, o_spent whether it spent.
SPEND = """
CREATE FUNCTION fusionhub_bucket_spend_v1(
    p_keys text[], p_costs float8[], p_capacities float8[], p_rates float8[]
) RETURNS TABLE(o_key text, o_level float8, o_rate float8, o_spent boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_now float8 := extract(epoch FROM now())::float8;
    v_found integer;
    v_short boolean;
BEGIN
    FOR v_pass IN 1..2 LOOP
        IF v_pass > 1 THEN
            -- Every charged row locked before any is spent; the levels read again under the locks.
            PERFORM 1 FROM rate_buckets WHERE key = ANY(p_keys) ORDER BY key FOR UPDATE;
        END IF;
        SELECT count(*), coalesce(bool_or(l.level + 1e-9 < l.cost), false) INTO v_found, v_short
        FROM (
            SELECT least(b.capacity, b.tokens + CASE WHEN b.last_refill < v_now
                       THEN (v_now - b.last_refill) * b.refill_rate ELSE 0 END) AS level, c.cost
            FROM rate_buckets b JOIN unnest(p_keys, p_costs) AS c(key, cost) ON b.key = c.key
        ) l;
        IF v_found < cardinality(p_keys) AND v_pass = 1 THEN
            -- First use: the missing ones created full, then looked at again, under the locks.
            INSERT INTO rate_buckets (key, capacity, refill_rate, tokens, last_refill)
            SELECT n.key, n.capacity, n.rate, n.capacity, v_now
            FROM unnest(p_keys, p_capacities, p_rates) AS n(key, capacity, rate)
            ON CONFLICT (key) DO NOTHING;
            CONTINUE;
        END IF;
        IF v_short OR v_found < cardinality(p_keys) THEN
            RETURN QUERY
                SELECT b.key::text, least(b.capacity, b.tokens + CASE WHEN b.last_refill < v_now
                           THEN (v_now - b.last_refill) * b.refill_rate ELSE 0 END), b.refill_rate, false
                FROM rate_buckets b WHERE b.key = ANY(p_keys) ORDER BY b.key;
            RETURN;
        END IF;
        EXIT WHEN v_pass > 1;
    END LOOP;
    RETURN QUERY
        UPDATE rate_buckets b
        SET tokens = least(b.capacity, b.tokens + CASE WHEN b.last_refill < v_now
                         THEN (v_now - b.last_refill) * b.refill_rate ELSE 0 END) - c.cost,
            last_refill = greatest(b.last_refill, v_now)
        FROM unnest(p_keys, p_costs) AS c(key, cost)
        WHERE b.key = c.key
        RETURNING b.key::text, b.tokens + c.cost, b.refill_rate, true;
END
$fn$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(SPEND))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP FUNCTION fusionhub_bucket_spend_v1(text[], float8[], float8[], float8[])"))
