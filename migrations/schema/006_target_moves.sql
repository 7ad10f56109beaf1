-- Moves job targets as results, progress and parts report them, many in one statement.
--
-- Each move goes forward only and never out of a terminal status (the stage rule of the
-- hub's `canTransition`: queued 0, dispatched 1, running 2, anything else 3). A terminal
-- move sets finished_at; a move to running sets started_at; an error given replaces the
-- stored one. `p_agent`, when given, moves only that agent's targets.
--
-- The moves are one UPDATE joined on the primary key, not a lock followed by an update: when
-- another transaction changes a row while this one waits for it, PostgreSQL re-checks the
-- conditions on the row's newest version, so a target moved meanwhile (a progress message's
-- move to running, say) is still ended, and one cancelled meanwhile stays cancelled.
--
-- Hash and merge joins are off inside: each target is found by its own primary-key lookup
-- in the order of `p_moves` (the caller sorts them by job, then device: the order every
-- writer of several targets locks them in), whatever the statistics say. A hash join would
-- read every target of the tenant for a batch of 500 whenever the statistics lag, and lock
-- the rows in table order.
--
-- `p_moves` is an array of {jobId, deviceId, to, startedAt, finishedAt, error}. Returns, per
-- job, how many of its targets moved.
CREATE FUNCTION drm_move_targets(p_tenant uuid, p_agent uuid, p_moves jsonb)
  RETURNS TABLE (job_id uuid, moved integer)
  LANGUAGE sql VOLATILE
  SET enable_hashjoin = off
  SET enable_mergejoin = off
  AS $$
    WITH moved AS (
      UPDATE job_targets t SET
          status = m."to",
          started_at = COALESCE(m."startedAt", t.started_at, CASE WHEN m."to" = 'running' THEN now() END),
          finished_at = CASE WHEN m."to" IN ('queued', 'dispatched', 'running') THEN t.finished_at
                             ELSE COALESCE(m."finishedAt", now()) END,
          error = COALESCE(m.error, t.error)
        FROM jsonb_to_recordset(p_moves) AS m("jobId" uuid, "deviceId" uuid, "to" text,
             "startedAt" timestamptz, "finishedAt" timestamptz, error jsonb)
       WHERE t.tenant_id = p_tenant AND t.job_id = m."jobId" AND t.device_id = m."deviceId"
         AND (p_agent IS NULL OR t.agent_id = p_agent)
         AND t.status IN ('queued', 'dispatched', 'running')
         AND CASE m."to" WHEN 'queued' THEN 0 WHEN 'dispatched' THEN 1 WHEN 'running' THEN 2 ELSE 3 END
           > CASE t.status WHEN 'queued' THEN 0 WHEN 'dispatched' THEN 1 WHEN 'running' THEN 2 ELSE 3 END
      RETURNING t.job_id
    )
    SELECT moved.job_id, count(*)::int FROM moved GROUP BY moved.job_id ORDER BY moved.job_id
  $$;

REVOKE EXECUTE ON FUNCTION drm_move_targets(uuid, uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION drm_move_targets(uuid, uuid, jsonb) TO drm_app;
