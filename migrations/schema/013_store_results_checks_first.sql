-- `drm_store_results` (012) inserted a batch's results in the same statement that moved their
-- targets, and so checked every result's foreign key, locking its target row (key share), in
-- message order, before it knew whether the targets were the sender's. A result of another
-- agent's target then locked that target out of key order, where a cancel holding it could
-- deadlock with the batch. Now the batch is read once into an array, the targets are moved
-- (in key order) and counted, and the results are inserted only when every target moved;
-- otherwise nothing is inserted, the moves are undone and the caller goes step by step, as
-- before.

CREATE TYPE drm_result_row AS (
  id uuid,
  job_id uuid,
  device_id uuid,
  status text,
  started_at timestamptz,
  finished_at timestamptz,
  varbinds jsonb,
  tr181 jsonb,
  error jsonb,
  part jsonb,
  n bigint
);

CREATE OR REPLACE FUNCTION drm_store_results(p_tenant uuid, p_agent uuid, p_received timestamptz,
                                             p_rows jsonb, p_skip uuid[])
  RETURNS TABLE (stored boolean, inserted integer, job_ids uuid[], moved integer[])
  LANGUAGE plpgsql VOLATILE
  SET enable_hashjoin = off
  SET enable_mergejoin = off
  AS $$
  DECLARE
    v_rows drm_result_row[];
    v_claims integer;
    v_moved integer;
  BEGIN
    stored := false;
    inserted := 0;
    SELECT array_agg(ROW(x.id, x.job_id, x.device_id, x.status, x.started_at, x.finished_at, x.varbinds,
                         x.tr181, x.error, x.part, x.n)::drm_result_row ORDER BY x.n)
      INTO v_rows
      FROM ROWS FROM (jsonb_to_recordset(p_rows) AS (kind text, id uuid, "jobId" uuid, "deviceId" uuid,
           status text, "startedAt" timestamptz, "finishedAt" timestamptz, varbinds jsonb, tr181 jsonb,
           error jsonb, part jsonb))
           WITH ORDINALITY AS x(kind, id, job_id, device_id, status, started_at, finished_at, varbinds,
                                tr181, error, part, n)
     WHERE x.kind = 'result' AND x.id <> ALL (p_skip);
    IF v_rows IS NULL THEN
      stored := true;
      RETURN NEXT;
      RETURN;
    END IF;
    -- Parts of split results are settled step by step.
    IF EXISTS (SELECT 1 FROM unnest(v_rows) AS r WHERE r.part IS NOT NULL) THEN
      RETURN NEXT;
      RETURN;
    END IF;
    BEGIN
      WITH claims AS MATERIALIZED (
        SELECT DISTINCT ON (r.job_id, r.device_id) r.job_id, r.device_id,
               CASE WHEN r.status = 'failed' AND r.error ->> 'code' IN ('cancelled', 'expired')
                    THEN r.error ->> 'code' ELSE r.status END AS status,
               r.started_at, r.finished_at, r.error
          FROM unnest(v_rows) AS r
         ORDER BY r.job_id, r.device_id, r.n
      ),
      ended AS (
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
      per_job AS (
        SELECT ended.job_id, count(*)::integer AS n FROM ended GROUP BY ended.job_id ORDER BY ended.job_id
      )
      SELECT (SELECT count(*) FROM claims), coalesce(sum(per_job.n), 0), array_agg(per_job.job_id),
             array_agg(per_job.n)
        INTO v_claims, v_moved, job_ids, moved
        FROM per_job;
      IF v_moved < v_claims THEN
        RAISE EXCEPTION USING ERRCODE = 'DRM01', MESSAGE = 'not every result moved its target';
      END IF;
      INSERT INTO job_results (tenant_id, id, job_id, device_id, agent_id, status, started_at, finished_at,
                               received_at, varbinds, tr181, error)
      SELECT p_tenant, r.id, r.job_id, r.device_id, p_agent, r.status, r.started_at, r.finished_at,
             p_received, r.varbinds, r.tr181, r.error
        FROM unnest(v_rows) AS r
      ON CONFLICT (tenant_id, id) DO NOTHING;
      GET DIAGNOSTICS inserted = ROW_COUNT;
      stored := true;
    EXCEPTION
      WHEN SQLSTATE 'DRM01' OR foreign_key_violation THEN
        inserted := 0;
        job_ids := NULL;
        moved := NULL;
    END;
    RETURN NEXT;
  END
  $$;
