-- Stores a batch of whole job results and ends their targets in one statement: the usual batch,
-- fresh results of targets dispatched to the agent that sends them.
--
-- `p_rows` is a JSON array of outbox items (the `results` message's items, or the result
-- records alone); those of kind `result` whose id is not in `p_skip` are the batch. Each target
-- ends as its first result in the batch says (`drm_move_targets`' rule for a terminal move: a
-- failed result whose error code is `cancelled` or `expired` ends it in that status), and the
-- results are inserted, already stored ids skipped.
--
-- All of it holds only when every result's target is one of `p_agent`'s in the tenant and is
-- still open, so that each claim moves its target: a result of another agent's target, of no
-- target at all (its foreign key fails), or a replay whose target has ended already, undoes
-- everything this function wrote and returns `stored = false`, and the caller takes its
-- step-by-step path (claim, look up owners, insert), which tells these apart. Results that are
-- parts of a split result never come here.
--
-- Hash and merge joins are off inside, as in `drm_move_targets`: each target is found by its
-- own primary-key lookup, in (job, device) order, the order every writer of several targets
-- locks them in.
CREATE FUNCTION drm_store_results(p_tenant uuid, p_agent uuid, p_received timestamptz, p_rows jsonb,
                                  p_skip uuid[])
  RETURNS TABLE (stored boolean, inserted integer, job_ids uuid[], moved integer[])
  LANGUAGE plpgsql VOLATILE
  SET enable_hashjoin = off
  SET enable_mergejoin = off
  AS $$
  DECLARE
    v_claims integer;
    v_moved integer;
    v_parts integer;
  BEGIN
    WITH r AS MATERIALIZED (
      SELECT x.* FROM ROWS FROM (jsonb_to_recordset(p_rows) AS (kind text, id uuid, "jobId" uuid,
             "deviceId" uuid, status text, "startedAt" timestamptz, "finishedAt" timestamptz,
             varbinds jsonb, tr181 jsonb, error jsonb, part jsonb))
             WITH ORDINALITY AS x(kind, id, job_id, device_id, status, started_at, finished_at, varbinds,
                                  tr181, error, part, n)
       WHERE x.kind = 'result' AND x.id <> ALL (p_skip)
    ),
    claims AS MATERIALIZED (
      SELECT DISTINCT ON (r.job_id, r.device_id) r.job_id, r.device_id,
             CASE WHEN r.status = 'failed' AND r.error ->> 'code' IN ('cancelled', 'expired')
                  THEN r.error ->> 'code' ELSE r.status END AS status,
             r.started_at, r.finished_at, r.error
        FROM r
       ORDER BY r.job_id, r.device_id, r.n
    ),
    moved AS (
      UPDATE job_targets t SET
          status = m.status,
          started_at = COALESCE(m.started_at, t.started_at),
          finished_at = COALESCE(m.finished_at, now()),
          error = COALESCE(m.error, t.error)
        FROM claims m
       WHERE t.tenant_id = p_tenant AND t.job_id = m.job_id AND t.device_id = m.device_id
         AND t.agent_id = p_agent AND t.status IN ('queued', 'dispatched', 'running')
      RETURNING t.job_id
    ),
    ins AS (
      INSERT INTO job_results (tenant_id, id, job_id, device_id, agent_id, status, started_at, finished_at,
                               received_at, varbinds, tr181, error)
      SELECT p_tenant, r.id, r.job_id, r.device_id, p_agent, r.status, r.started_at, r.finished_at,
             p_received, r.varbinds, r.tr181, r.error
        FROM r
      ON CONFLICT (tenant_id, id) DO NOTHING
      RETURNING 1
    ),
    per_job AS (
      SELECT moved.job_id, count(*)::integer AS n FROM moved GROUP BY moved.job_id ORDER BY moved.job_id
    )
    SELECT (SELECT count(*) FROM claims), (SELECT count(*) FROM r WHERE r.part IS NOT NULL),
           (SELECT coalesce(sum(per_job.n), 0) FROM per_job), (SELECT count(*) FROM ins),
           array_agg(per_job.job_id), array_agg(per_job.n)
      INTO v_claims, v_parts, v_moved, inserted, job_ids, moved
      FROM per_job;
    IF v_moved < v_claims OR v_parts > 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'DRM01', MESSAGE = 'not every result moved its target';
    END IF;
    stored := true;
    RETURN NEXT;
  EXCEPTION
    WHEN SQLSTATE 'DRM01' OR foreign_key_violation THEN
      stored := false;
      inserted := 0;
      job_ids := NULL;
      moved := NULL;
      RETURN NEXT;
  END
  $$;

REVOKE EXECUTE ON FUNCTION drm_store_results(uuid, uuid, timestamptz, jsonb, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION drm_store_results(uuid, uuid, timestamptz, jsonb, uuid[]) TO drm_app;
