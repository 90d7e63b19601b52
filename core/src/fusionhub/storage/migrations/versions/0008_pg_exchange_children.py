"""PostgreSQL: a worker's turn settles per-item (child) jobs server-side too (`fusionhub_exchange_v2`).

`fusionhub_exchange_v1` (migration 0007) handed a finished child back to the caller, whose
settle then counted it on its parent statement by statement (about a dozen round trips per
child). v2 is v1 with that step added, as `SqlJobQueue._child_finished` does it: the parent is
locked after the child, its finished children counted into `progress_done`, and the last one
wakes it (queued, due now: promoted in its store's line). v1 stays, for a worker of the previous
release. Nothing on SQLite.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# A worker's turn: settle the runs that ended, then claim up to p_claim jobs. Arguments and rows
# as `fusionhub_exchange_v1`'s (migration 0007), except that a per-item job is settled here:
# 'python' (left to the caller, the job untouched) is now only a stop asked for while the job was
# to run again, or a run-less job.
EXCHANGE = """
CREATE FUNCTION fusionhub_exchange_v2(
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
    v_parent jobs;
    v_done integer;
    v_wake boolean;
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
        IF (v_abort AND v_status = 'queued') OR v_row.run_id IS NULL THEN
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
        -- A per-item job that finished: its parent (locked after the child, as every settle and
        -- cancel does) counts its finished children, and the last one wakes it. Children ending
        -- at once take turns on the parent's lock, so the last one counts every sibling.
        IF v_row.parent_id IS NOT NULL AND v_status <> 'queued' THEN
            SELECT p.* INTO v_parent FROM jobs AS p WHERE p.id = v_row.parent_id FOR UPDATE;
            IF FOUND THEN
                SELECT count(*) INTO v_done FROM jobs AS c
                WHERE c.parent_id = v_parent.id AND c.status IN ('succeeded', 'failed', 'cancelled');
                v_wake := v_parent.status = 'waiting' AND v_parent.progress_total IS NOT NULL
                    AND v_parent.progress_total <= v_done;
                UPDATE jobs SET
                    progress_done = v_done,
                    updated_at = v_now,
                    status = CASE WHEN v_wake THEN 'queued' ELSE jobs.status END,
                    run_at = CASE WHEN v_wake THEN v_now ELSE jobs.run_at END
                WHERE jobs.id = v_parent.id;
                -- Woken: due now, it heads its idle line or waits in it (parked); otherwise a
                -- run of its own, out of line. Its line is the child's, held since the start.
                IF v_wake THEN
                    IF to_timestamp(v_now) <= now() + make_interval(secs => p_due_now) THEN
                        PERFORM fusionhub_promote_v1(p_queue, p_task, v_parent.store_id, p_due_now);
                    ELSE
                        PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW(
                            p_queue, p_task, 0, 'job:' || v_parent.id, v_parent.id::text,
                            jsonb_build_object(
                                'job_id', v_parent.id, 'store_id', v_parent.store_id,
                                'capability', v_parent.capability
                            ),
                            to_timestamp(v_now)
                        )::procrastinate_job_to_defer_v1]);
                    END IF;
                END IF;
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
        op.execute(sa.text(EXCHANGE))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        arguments = "text, float8, float8, integer, text[], jsonb, text, text, float8"
        op.execute(sa.text(f"DROP FUNCTION fusionhub_exchange_v2({arguments})"))
