"""PostgreSQL: a worker's turn of the job queue as one server-side call (`fusionhub_exchange_v1`),
and the promotion of a store line's next job (`fusionhub_promote_v1`), so that a turn is one
round trip instead of one per statement (see `fusionhub.jobs.pg.queue`). Nothing on SQLite.

The functions call procrastinate's procedures, installed after our migrations
(`fusionhub.storage.pg_procrastinate`): PL/pgSQL resolves names when it runs, not when it is
created. A change to either function is a new name (`_v2`) in a new migration, as procrastinate
names its own, so a worker of the previous release keeps calling the one it knows.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# If the store's line is idle, its first parked job (queued, due, no pending run) heads it.
PROMOTE = """
CREATE FUNCTION fusionhub_promote_v1(p_queue text, p_task text, p_store uuid, p_due_now float8)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(p_queue, p_task, 0, 'store:' || p_store, j.id::text,
                   jsonb_build_object('job_id', j.id, 'store_id', j.store_id, 'capability', j.capability),
                   to_timestamp(j.run_at))::procrastinate_job_to_defer_v1
        FROM jobs AS j
        WHERE j.store_id = p_store AND j.status = 'queued'
          AND to_timestamp(j.run_at) <= now() + make_interval(secs => p_due_now)
          AND NOT EXISTS (
              SELECT 1 FROM procrastinate_jobs AS r WHERE r.queueing_lock = j.id::text AND r.status = 'todo'
          )
          AND NOT EXISTS (
              SELECT 1 FROM procrastinate_jobs AS r WHERE r.lock = 'store:' || p_store AND r.status IN ('todo', 'doing')
          )
        ORDER BY j.run_at, j.created_at, j.item_index
        LIMIT 1
    ));
END
$fn$
"""

# A worker's turn: settle the runs that ended, then claim up to p_claim jobs; what
# `ProcrastinateJobQueue` does in Python statement by statement, for the common settles.
#
# p_settles: a JSON array, in order, of {id, status (queued, succeeded or failed), end (the run's
# end status), keep_place, throttled, and the columns the decision sets: run_at (caller's clock),
# result, error_category, error_message, attempts, state, progress_done, progress_total, level}.
# p_lines: the settled stores' lines, sorted: locked in that order, before any row.
#
# Rows returned: first ('offset', the database clock minus the caller's, and o_stalled: whether
# some running job's lease has run out, its worker dead, for the caller to recover); then per settle
# 'kept', 'lost' (no longer held by p_worker: nothing changed) or 'python' (a case left to the
# caller: a stop asked for while the job was to run again, a child job, a run-less job; the
# job untouched); then ('claimed', its store's updated_at, the job's row) per claim.
EXCHANGE = """
CREATE FUNCTION fusionhub_exchange_v1(
    p_worker text, p_now float8, p_lease float8, p_claim integer, p_lines text[], p_settles jsonb,
    p_queue text, p_task text, p_due_now float8
) RETURNS TABLE(o_outcome text, o_offset float8, o_stalled boolean, o_store_version float8, o_job jobs)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_offset float8;
    v_now float8;
    v_line text;
    v_settle jsonb;
    v_row jobs;
    v_status text;
    v_run_at float8;
    v_keep boolean;
    v_abort boolean;
    v_in_line boolean;
    v_run_id bigint;
    v_args jsonb;
    v_job_id uuid;
    v_store uuid;
    v_version float8;
    v_claimed jobs[] := '{}';
    v_versions float8[] := '{}';
    v_taken integer := 0;
BEGIN
    -- The clock: the caller's time handed over (a test database's now() may return it), and
    -- the database's own; the caller's times are moved by the difference.
    PERFORM set_config('fusionhub.now', p_now::text, true);
    v_offset := round((extract(epoch FROM now())::float8 - p_now)::numeric, 3)::float8;
    v_now := p_now + v_offset;
    o_outcome := 'offset'; o_offset := v_offset; o_store_version := NULL; o_job := NULL;
    o_stalled := EXISTS (SELECT 1 FROM jobs WHERE jobs.status = 'running' AND jobs.lease_until <= v_now);
    RETURN NEXT;
    o_offset := NULL; o_stalled := NULL;

    FOREACH v_line IN ARRAY p_lines LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('fusionhub:' || v_line, 0));
    END LOOP;

    FOR v_settle IN SELECT s.value FROM jsonb_array_elements(p_settles) WITH ORDINALITY AS s ORDER BY s.ordinality
    LOOP
        -- The held row, locked, and whether a stop was asked of its run (by us, or procrastinate's tools).
        SELECT j.* INTO v_row FROM jobs AS j
        WHERE j.id = (v_settle->>'id')::uuid AND j.worker_id = p_worker AND j.status = 'running'
        FOR UPDATE;
        IF NOT FOUND THEN
            o_outcome := 'lost'; RETURN NEXT; CONTINUE;
        END IF;
        v_abort := v_row.cancel_requested OR EXISTS (
            SELECT 1 FROM procrastinate_jobs AS r WHERE r.id = v_row.run_id AND r.status = 'doing' AND r.abort_requested
        );
        v_status := v_settle->>'status';
        IF (v_abort AND v_status = 'queued') OR v_row.run_id IS NULL OR v_row.parent_id IS NOT NULL THEN
            o_outcome := 'python'; RETURN NEXT; CONTINUE;  -- untouched: the caller's settle does it all
        END IF;
        v_run_at := CASE WHEN v_status = 'queued' THEN coalesce((v_settle->>'run_at')::float8 + v_offset, v_now) END;
        UPDATE jobs SET
            cancel_requested = v_abort,
            status = v_status,
            updated_at = v_now,
            lease_until = NULL,
            run_at = coalesce(v_run_at, jobs.run_at),
            finished_at = CASE WHEN v_status = 'queued' THEN jobs.finished_at ELSE v_now END,
            result = CASE WHEN v_status = 'succeeded' THEN v_settle->'result' ELSE jobs.result END,
            error_category = CASE
                WHEN v_settle ? 'error_category' THEN v_settle->>'error_category'
                WHEN v_status = 'succeeded' THEN NULL
                ELSE jobs.error_category END,
            error_message = CASE
                WHEN v_settle ? 'error_category' THEN v_settle->>'error_message'
                WHEN v_status = 'succeeded' THEN NULL
                ELSE jobs.error_message END,
            attempts = coalesce((v_settle->>'attempts')::integer, jobs.attempts),
            state = CASE WHEN v_settle ? 'state' THEN v_settle->'state' ELSE jobs.state END,
            progress_done = coalesce((v_settle->>'progress_done')::integer, jobs.progress_done),
            progress_total = CASE
                WHEN v_settle ? 'progress_done' THEN (v_settle->>'progress_total')::integer
                ELSE jobs.progress_total END,
            level = coalesce(v_settle->>'level', jobs.level),
            throttled = jobs.throttled + CASE WHEN (v_settle->>'throttled')::boolean THEN 1 ELSE 0 END
        WHERE jobs.id = v_row.id;
        -- The run: retried in its place (refused by the bucket, or due now) or out of line
        -- (due later), or finished; a line whose head it was goes on with its next job.
        SELECT r.lock LIKE 'store:%' INTO v_in_line FROM procrastinate_jobs AS r WHERE r.id = v_row.run_id;
        IF FOUND THEN
            IF v_status = 'queued' THEN
                v_keep := (v_settle->>'keep_place')::boolean;
                PERFORM procrastinate_retry_job_v2(
                    v_row.run_id, to_timestamp(v_run_at), NULL, NULL,
                    CASE WHEN v_keep THEN NULL ELSE 'job:' || v_row.id END
                );
                IF v_keep THEN
                    v_in_line := false;
                END IF;
            ELSE
                PERFORM procrastinate_finish_job_v1(v_row.run_id, (v_settle->>'end')::procrastinate_job_status, false);
            END IF;
            IF v_in_line THEN
                PERFORM fusionhub_promote_v1(p_queue, p_task, v_row.store_id, p_due_now);
            END IF;
        END IF;
        o_outcome := 'kept'; RETURN NEXT;
    END LOOP;

    -- Claims, in a subtransaction: a fetched run whose row a cancel or settle holds gives back
    -- this turn's claims, never its settles.
    BEGIN
        WHILE v_taken < p_claim LOOP
            SELECT f.id, f.args INTO v_run_id, v_args
            FROM procrastinate_fetch_job_v2(ARRAY[p_queue]::varchar[], NULL) AS f;
            EXIT WHEN v_run_id IS NULL;
            v_job_id := (v_args->>'job_id')::uuid;
            SELECT j.status INTO v_status FROM jobs AS j WHERE j.id = v_job_id FOR UPDATE SKIP LOCKED;
            IF NOT FOUND AND EXISTS (SELECT 1 FROM jobs AS j WHERE j.id = v_job_id) THEN
                RAISE EXCEPTION USING ERRCODE = 'FHBSY', MESSAGE = 'a fetched run''s job is busy';
            END IF;
            IF v_status IS DISTINCT FROM 'queued' THEN
                -- No such job, or not waiting to run (a database edited by hand): end the stray
                -- run, and let its line go on.
                SELECT r.lock LIKE 'store:%' INTO v_in_line FROM procrastinate_jobs AS r WHERE r.id = v_run_id;
                PERFORM procrastinate_finish_job_v1(v_run_id, 'failed', false);
                SELECT j.store_id INTO v_store FROM jobs AS j WHERE j.id = v_job_id;
                IF v_in_line AND v_store IS NOT NULL THEN
                    IF pg_try_advisory_xact_lock(hashtextextended('fusionhub:store:' || v_store, 0)) THEN
                        PERFORM fusionhub_promote_v1(p_queue, p_task, v_store, p_due_now);
                    END IF;
                END IF;
                CONTINUE;
            END IF;
            UPDATE jobs SET
                status = 'running', worker_id = p_worker, lease_until = v_now + p_lease, updated_at = v_now,
                run_id = v_run_id, claims = jobs.claims + 1
            WHERE jobs.id = v_job_id
            RETURNING jobs.* INTO v_row;
            SELECT s.updated_at INTO v_version FROM stores AS s WHERE s.id = v_row.store_id;
            v_claimed := v_claimed || v_row;
            v_versions := v_versions || v_version;
            v_taken := v_taken + 1;
        END LOOP;
    EXCEPTION WHEN SQLSTATE 'FHBSY' THEN
        v_claimed := '{}';
        v_versions := '{}';
    END;
    FOR i IN 1..coalesce(array_length(v_claimed, 1), 0) LOOP
        o_outcome := 'claimed'; o_store_version := v_versions[i]; o_job := v_claimed[i];
        RETURN NEXT;
    END LOOP;
END
$fn$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(PROMOTE))
        op.execute(sa.text(EXCHANGE))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        arguments = "text, float8, float8, integer, text[], jsonb, text, text, float8"
        op.execute(sa.text(f"DROP FUNCTION fusionhub_exchange_v1({arguments})"))
        op.execute(sa.text("DROP FUNCTION fusionhub_promote_v1(text, text, uuid, float8)"))
