"""PostgreSQL: a rate-bucket spend that may take tokens ahead (`fusionhub_bucket_spend_v2`).

`fusionhub_bucket_spend_v1` (migration 0010) spends only tokens that are there: a request that
arrives a little early (a store at its rate: most of them) is refused, sleeps the wait it was
told, and calls again: two round trips. v2 also takes `p_within` seconds: when every charged
bucket holds its cost within that long, it spends now and the level goes below zero (the
caller sleeps the wait before it sends); other callers then see the tokens already promised and
queue behind. With `p_within` 0 it is v1. v1 stays for workers of the release before.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# As v1 (p_keys sorted, each once; rows: every bucket's key, level before the call and refill
# rate, o_spent), with "short" meaning: its cost not there within p_within seconds. A bucket
# that does not refill (rate 0) is short whenever its cost is not there now.
SPEND = """
CREATE FUNCTION fusionhub_bucket_spend_v2(
    p_keys text[], p_costs float8[], p_capacities float8[], p_rates float8[], p_within float8
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
        SELECT count(*), coalesce(bool_or(
                   l.level + 1e-9 + CASE WHEN l.rate > 0 THEN p_within * l.rate ELSE 0 END < l.cost
               ), false)
        INTO v_found, v_short
        FROM (
            SELECT least(b.capacity, b.tokens + CASE WHEN b.last_refill < v_now
                       THEN (v_now - b.last_refill) * b.refill_rate ELSE 0 END) AS level,
                   b.refill_rate AS rate, c.cost
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
        op.execute(sa.text("DROP FUNCTION fusionhub_bucket_spend_v2(text[], float8[], float8[], float8[], float8)"))
