import type { JobKind, JobStatus, ResultError, SnmpProfile, TargetStatus, Tr181Profile } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';

/** What the dispatcher needs of a job. */
export interface DispatchJobRow {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  status: JobStatus;
  createdAt: Date;
  expiresAt: Date | null;
  cancelRequested: boolean;
  /** The deadline has passed (by the database's clock). */
  overdue: boolean;
}

/** A target with the device it runs on and the agent it goes to. */
export interface DispatchTargetRow {
  deviceId: string;
  /** The agent to send it to: the device's current agent while queued, else the one that has it. */
  agentId: string | null;
  status: TargetStatus;
  address: string;
  snmp: SnmpProfile | null;
  tr181: Tr181Profile | null;
}

const ACTIVE = `('queued', 'dispatched', 'running')`;
/**
 * A queued target goes to the device's agent now, a dispatched one to the agent that got it;
 * never to a revoked agent (it gets no job, nor the credentials in it): a queued target then
 * waits as one whose device has no agent, a dispatched one until the job expires.
 */
const TARGET_AGENT = `CASE WHEN t.status = 'queued' THEN a.id ELSE ta.id END`;
/** The device's agent (`a`) and the target's (`ta`), when not revoked, for `TARGET_AGENT`. */
const LIVE_AGENT = `LEFT JOIN agents a ON a.tenant_id = d.tenant_id AND a.id = d.agent_id AND a.revoked_at IS NULL
            LEFT JOIN agents ta ON ta.tenant_id = t.tenant_id AND ta.id = t.agent_id AND ta.revoked_at IS NULL`;

export const NO_AGENT_CODE = 'no-agent';

export async function getDispatchJob(q: Queryable, jobId: string): Promise<DispatchJobRow | null> {
  const { rows } = await q.query<DispatchJobRow>(
    `SELECT id, kind, params, status, created_at AS "createdAt", expires_at AS "expiresAt",
            cancel_requested_at IS NOT NULL AS "cancelRequested",
            COALESCE(expires_at <= now(), false) AS overdue
       FROM jobs WHERE id = $1`,
    [jobId],
  );
  return rows[0] ?? null;
}

/**
 * Targets still waiting for an agent's receipt: every queued one, and dispatched ones not
 * receipted. With `agentId`, only those that go to that agent.
 */
export async function unreceiptedTargets(
  q: Queryable,
  jobId: string,
  opts: { agentId?: string; queuedOnly?: boolean } = {},
): Promise<DispatchTargetRow[]> {
  const params: unknown[] = [jobId];
  let where = opts.queuedOnly
    ? `t.status = 'queued'`
    : `(t.status = 'queued' OR (t.status = 'dispatched' AND t.receipted_at IS NULL))`;
  if (opts.agentId) {
    params.push(opts.agentId);
    where += ` AND ${TARGET_AGENT} = $2::uuid`;
  }
  const { rows } = await q.query<DispatchTargetRow>(
    `SELECT t.device_id AS "deviceId", ${TARGET_AGENT} AS "agentId", t.status, d.address, d.snmp, d.tr181
       FROM job_targets t JOIN devices d ON d.tenant_id = t.tenant_id AND d.id = t.device_id
            ${LIVE_AGENT}
      WHERE t.job_id = $1 AND ${where}
      ORDER BY t.device_id`,
    params,
  );
  return rows;
}

/**
 * Records that targets were handed to their agents' broker queues: queued ones become
 * `dispatched`; a re-sent one keeps its status. A target that moved on meanwhile (its result
 * came first) is left alone. All rows in one statement, locked in device order as every job
 * writer does, whichever agents they went to.
 */
export async function markDispatched(
  q: Queryable,
  tenantId: string,
  jobId: string,
  sent: readonly { deviceId: string; agentId: string }[],
  at: Date,
): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE job_targets t SET
        status = CASE WHEN t.status = 'queued' THEN 'dispatched' ELSE t.status END,
        agent_id = locked.agent_id, dispatched_at = $5, attempts = t.attempts + 1,
        error = CASE WHEN t.error->>'code' = '${NO_AGENT_CODE}' THEN NULL ELSE t.error END
       FROM (SELECT j.device_id, s.agent_id FROM job_targets j
               JOIN unnest($3::uuid[], $4::uuid[]) AS s(device_id, agent_id) ON s.device_id = j.device_id
              WHERE j.tenant_id = $1 AND j.job_id = $2 AND j.status IN ('queued', 'dispatched')
              ORDER BY j.device_id FOR UPDATE OF j) AS locked
      WHERE t.tenant_id = $1 AND t.job_id = $2 AND t.device_id = locked.device_id`,
    [tenantId, jobId, sent.map((s) => s.deviceId), sent.map((s) => s.agentId), at.toISOString()],
  );
  return rowCount;
}

/** Notes on queued targets that their device has no agent, so the API can say why they wait. */
export async function noteNoAgent(
  q: Queryable,
  tenantId: string,
  jobId: string,
  deviceIds: readonly string[],
): Promise<void> {
  const error: ResultError = {
    code: NO_AGENT_CODE,
    message:
      'The device has no agent, or its agent was revoked: the target waits for one until the job expires',
  };
  await q.query(
    `UPDATE job_targets t SET error = $4::jsonb
       FROM (SELECT device_id FROM job_targets
              WHERE tenant_id = $1 AND job_id = $2 AND device_id = ANY($3::uuid[])
                AND status = 'queued' AND error IS NULL
              ORDER BY device_id FOR UPDATE) AS locked
      WHERE t.tenant_id = $1 AND t.job_id = $2 AND t.device_id = locked.device_id`,
    [tenantId, jobId, deviceIds, JSON.stringify(error)],
  );
}

/** Moves every active target of a job (or the unreceipted ones of some agents) to a terminal status with an error. */
export async function finishActiveTargets(
  q: Queryable,
  tenantId: string,
  jobId: string,
  to: 'expired' | 'cancelled',
  error: ResultError,
  only?: { agentIds: readonly string[]; unreceipted: true },
): Promise<number> {
  const params: unknown[] = [tenantId, jobId, to, JSON.stringify(error)];
  let where = `status IN ${ACTIVE}`;
  if (only) {
    params.push(only.agentIds);
    where = `status = 'dispatched' AND receipted_at IS NULL AND agent_id = ANY($5::uuid[])`;
  }
  const { rowCount } = await q.query(
    `UPDATE job_targets t SET status = $3, finished_at = now(), error = COALESCE(t.error, $4::jsonb)
       FROM (SELECT device_id FROM job_targets WHERE tenant_id = $1 AND job_id = $2 AND ${where}
              ORDER BY device_id FOR UPDATE) AS locked
      WHERE t.tenant_id = $1 AND t.job_id = $2 AND t.device_id = locked.device_id`,
    params,
  );
  return rowCount;
}

/** Device ids of a job's targets that an agent holds or may hold, by agent. */
export async function activeTargetsByAgent(
  q: Queryable,
  jobId: string,
  agentId?: string,
): Promise<Map<string, string[]>> {
  const params: unknown[] = [jobId];
  if (agentId) params.push(agentId);
  const { rows } = await q.query<{ agentId: string; deviceId: string }>(
    `SELECT agent_id AS "agentId", device_id AS "deviceId" FROM job_targets
      WHERE job_id = $1 AND status IN ('dispatched', 'running') AND agent_id IS NOT NULL
        ${agentId ? 'AND agent_id = $2::uuid' : ''}
      ORDER BY agent_id, device_id`,
    params,
  );
  const byAgent = new Map<string, string[]>();
  for (const r of rows) byAgent.set(r.agentId, [...(byAgent.get(r.agentId) ?? []), r.deviceId]);
  return byAgent;
}

/**
 * Jobs with work for an agent when it connects, oldest first: unreceipted targets that go to
 * it, or (for jobs whose cancel was requested) targets it may still hold. A queued target
 * goes to its device's agent, any other to the agent that got it (as `TARGET_AGENT` says).
 * The search starts from the agent's devices and targets (their indexes), not from every job
 * of the tenant: it runs whenever an agent connects, and all of them reconnect at once after
 * a broker restart.
 */
export async function jobsPendingForAgent(q: Queryable, agentId: string): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT j.id FROM jobs j
      WHERE (j.tenant_id, j.id) IN (
              SELECT t.tenant_id, t.job_id
                FROM devices d JOIN job_targets t ON t.tenant_id = d.tenant_id AND t.device_id = d.id
               WHERE d.agent_id = $1::uuid AND t.status = 'queued'
              UNION
              SELECT t.tenant_id, t.job_id FROM job_targets t
               WHERE t.agent_id = $1::uuid AND t.status IN ('dispatched', 'running')
                 AND ((t.status = 'dispatched' AND t.receipted_at IS NULL)
                      OR EXISTS (SELECT 1 FROM jobs c WHERE c.tenant_id = t.tenant_id AND c.id = t.job_id
                                    AND c.cancel_requested_at IS NOT NULL)))
      ORDER BY j.created_at, j.id`,
    [agentId],
  );
  return rows.map((r) => r.id);
}

/**
 * Jobs of every tenant still active with no active target left (system context): their status
 * and counts missed a recount. Nothing leaves a job so today; the sweep repairs one that was
 * left so by an earlier version or a race not yet known.
 */
export async function strandedJobs(q: Queryable, limit: number): Promise<{ tenantId: string; id: string }[]> {
  const { rows } = await q.query<{ tenantId: string; id: string }>(
    `SELECT j.tenant_id AS "tenantId", j.id FROM jobs j
      WHERE j.status IN ${ACTIVE}
        AND NOT EXISTS (SELECT 1 FROM job_targets t
                         WHERE t.tenant_id = j.tenant_id AND t.job_id = j.id AND t.status IN ${ACTIVE})
      ORDER BY j.created_at LIMIT $1`,
    [limit],
  );
  return rows;
}

/** Jobs of every tenant past their deadline with targets still active (system context). */
export async function overdueJobs(q: Queryable, limit: number): Promise<{ tenantId: string; id: string }[]> {
  const { rows } = await q.query<{ tenantId: string; id: string }>(
    `SELECT j.tenant_id AS "tenantId", j.id FROM jobs j
      WHERE j.expires_at <= now() AND j.status IN ${ACTIVE}
        AND EXISTS (SELECT 1 FROM job_targets t
                     WHERE t.tenant_id = j.tenant_id AND t.job_id = j.id AND t.status IN ${ACTIVE})
      ORDER BY j.expires_at LIMIT $1`,
    [limit],
  );
  return rows;
}
