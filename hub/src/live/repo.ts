import type {
  AgentState,
  JobStatus,
  LiveAgentState,
  LiveJobState,
  LiveTarget,
  LiveTrap,
  ResultError,
  TargetStatus,
} from '@drm/protocol';
import type { Queryable } from '../db/types.js';
import { iso } from '../lib/paging.js';

/**
 * What the live stream reads, always inside `db.withTenant` (row-level security hides other
 * tenants' rows; the explicit tenant_id conditions are a second fence, not the only one).
 */

export type Role = 'admin' | 'operator' | 'viewer';

/** The user's role in the tenant, or null when they have none (or the tenant does not exist). */
export async function roleIn(q: Queryable, tenantId: string, userId: string): Promise<Role | null> {
  const { rows } = await q.query<{ role: Role }>(
    'SELECT role FROM memberships WHERE user_id = $1 AND tenant_id = $2',
    [userId, tenantId],
  );
  return rows[0]?.role ?? null;
}

export async function deviceExists(q: Queryable, tenantId: string, deviceId: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM devices WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    deviceId,
  ]);
  return rowCount > 0;
}

export async function jobExists(q: Queryable, tenantId: string, jobId: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM jobs WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    jobId,
  ]);
  return rowCount > 0;
}

interface JobHead {
  status: JobStatus;
  done: number;
  total: number;
  finishedAt: Date | null;
}

interface TargetHead {
  deviceId: string;
  status: TargetStatus;
  error: ResultError | null;
  varbinds: number | null;
}

/** A job with every target, or null when there is no such job in the tenant. */
export async function jobState(q: Queryable, tenantId: string, jobId: string): Promise<LiveJobState | null> {
  const { rows: jobs } = await q.query<JobHead>(
    `SELECT status, done_targets AS done, total_targets AS total, finished_at AS "finishedAt"
       FROM jobs WHERE tenant_id = $1 AND id = $2`,
    [tenantId, jobId],
  );
  const job = jobs[0];
  if (!job) return null;
  const { rows } = await q.query<TargetHead>(
    `SELECT device_id AS "deviceId", status, error,
            CASE WHEN jsonb_typeof(progress->'counts'->'varbinds') = 'number'
                 THEN (progress->'counts'->>'varbinds')::int END AS varbinds
       FROM job_targets WHERE tenant_id = $1 AND job_id = $2 ORDER BY device_id`,
    [tenantId, jobId],
  );
  const targets = rows.map(
    (t): LiveTarget => ({
      deviceId: t.deviceId,
      status: t.status,
      error: t.error,
      ...(t.varbinds !== null && t.varbinds >= 0 && { varbinds: t.varbinds }),
    }),
  );
  return {
    tenantId,
    jobId: jobId.toLowerCase(),
    status: job.status,
    progress: { done: job.done, total: job.total },
    targets,
    finishedAt: iso(job.finishedAt),
  };
}

interface AgentHead {
  id: string;
  siteId: string;
  name: string;
  version: string | null;
  state: AgentState;
  lastSeenAt: Date | null;
  configRevision: number;
  appliedConfigRevision: number;
  outboxCount: number;
  outboxBytes: number;
  outboxOldestAt: Date | null;
  outboxDropped: number;
  rotationRequestedAt: Date | null;
  credentialsRotatedAt: Date | null;
}

/** The tenant's agents (only `ids` when given), oldest first. */
export async function agentStates(
  q: Queryable,
  tenantId: string,
  ids?: readonly string[],
): Promise<LiveAgentState[]> {
  const { rows } = await q.query<AgentHead>(
    `SELECT id, site_id AS "siteId", name, version,
            CASE WHEN revoked_at IS NOT NULL THEN 'revoked' ELSE state END AS state,
            last_seen_at AS "lastSeenAt", config_revision AS "configRevision",
            acked_config_revision AS "appliedConfigRevision",
            outbox_count AS "outboxCount", outbox_bytes AS "outboxBytes",
            outbox_oldest_at AS "outboxOldestAt", outbox_dropped AS "outboxDropped",
            rotation_requested_at AS "rotationRequestedAt", credentials_rotated_at AS "credentialsRotatedAt"
       FROM agents WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
      ORDER BY created_at, id`,
    [tenantId, ids ?? null],
  );
  return rows.map((a) => ({
    tenantId,
    agentId: a.id,
    siteId: a.siteId,
    name: a.name,
    state: a.state,
    lastSeenAt: iso(a.lastSeenAt),
    ...(a.version && { version: a.version }),
    configRevision: a.configRevision,
    appliedConfigRevision: a.appliedConfigRevision,
    credentialRotationRequestedAt: iso(a.rotationRequestedAt),
    credentialsRotatedAt: iso(a.credentialsRotatedAt),
    // No outbox figures until the agent has reported a status at least once (as the REST API).
    outbox: a.lastSeenAt
      ? {
          count: a.outboxCount,
          bytes: a.outboxBytes,
          ...(a.outboxOldestAt && { oldestAt: iso(a.outboxOldestAt)! }),
          dropped: a.outboxDropped,
        }
      : null,
  }));
}

interface TrapHead {
  id: string;
  receivedAt: Date;
  agentId: string | null;
  deviceId: string | null;
  trapOid: string | null;
  summary: string;
  source: string | null;
}

/** A stored trap, or null (unknown id, or an event that is not a trap). */
export async function trapById(q: Queryable, tenantId: string, id: string): Promise<LiveTrap | null> {
  const { rows } = await q.query<TrapHead>(
    `SELECT id, received_at AS "receivedAt", agent_id AS "agentId", device_id AS "deviceId",
            trap_oid AS "trapOid", summary, source
       FROM events WHERE tenant_id = $1 AND id = $2 AND trap_oid IS NOT NULL`,
    [tenantId, id],
  );
  const t = rows[0];
  if (!t?.agentId || !t.trapOid) return null;
  return {
    tenantId,
    id: t.id,
    receivedAt: iso(t.receivedAt)!,
    agentId: t.agentId,
    deviceId: t.deviceId,
    trapOid: t.trapOid,
    ...(t.summary !== t.trapOid && { trapName: t.summary }),
    source: t.source ?? '',
  };
}
