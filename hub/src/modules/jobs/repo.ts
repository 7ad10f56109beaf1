import type { JobKind, JobStatus, ResultError, TargetStatus } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

export interface JobRow {
  id: string;
  tenantId: string;
  kind: JobKind;
  params: Record<string, unknown>;
  status: JobStatus;
  totalTargets: number;
  doneTargets: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cancelRequestedAt: Date | null;
  expiresAt: Date | null;
}

export interface TargetRow {
  deviceId: string;
  deviceName: string;
  agentId: string | null;
  status: TargetStatus;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: ResultError | null;
}

/** What job creation needs to know about a target device. */
export interface TargetDeviceRow {
  id: string;
  agentId: string | null;
  hasSnmp: boolean;
  hasTr181: boolean;
}

export interface JobFilter {
  cursor: Cursor | null;
  limit: number;
  status?: JobStatus | undefined;
  kind?: JobKind | undefined;
  deviceId?: string | undefined;
  agentId?: string | undefined;
  since?: string | undefined;
}

const COLUMNS = `j.id, j.tenant_id AS "tenantId", j.kind, j.params, j.status,
  j.total_targets AS "totalTargets", j.done_targets AS "doneTargets", j.created_by AS "createdBy",
  j.created_at AS "createdAt", j.updated_at AS "updatedAt", j.started_at AS "startedAt",
  j.finished_at AS "finishedAt", j.cancel_requested_at AS "cancelRequestedAt", j.expires_at AS "expiresAt"`;

/** A job as a list gives it, with its full-precision sort time. */
export type ListedJob = Listed<JobRow>;

/** Newest first; the device and agent filters match jobs with at least one such target. */
export async function listJobs(q: Queryable, f: JobFilter): Promise<ListedJob[]> {
  const params: unknown[] = [];
  const where = ['TRUE'];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (f.status) add((p) => `j.status = ${p}`, f.status);
  if (f.kind) add((p) => `j.kind = ${p}`, f.kind);
  if (f.since) add((p) => `j.created_at >= ${p}::timestamptz`, f.since);
  for (const [col, value] of [
    ['device_id', f.deviceId],
    ['agent_id', f.agentId],
  ] as const) {
    if (value) {
      add(
        (p) => `EXISTS (SELECT 1 FROM job_targets t
                 WHERE t.tenant_id = j.tenant_id AND t.job_id = j.id AND t.${col} = ${p}::uuid)`,
        value,
      );
    }
  }
  const keyset = cursorClause(f.cursor, 'j.created_at', 'j.id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<JobRow>>(
    `SELECT ${COLUMNS}, ${cursorAt('j.created_at')} FROM jobs j WHERE ${where.join(' AND ')}${keyset}
      ORDER BY j.created_at DESC, j.id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getJob(q: Queryable, id: string): Promise<JobRow | null> {
  const { rows } = await q.query<JobRow>(`SELECT ${COLUMNS} FROM jobs j WHERE j.id = $1`, [id]);
  return rows[0] ?? null;
}

export async function listTargets(q: Queryable, jobId: string): Promise<TargetRow[]> {
  const { rows } = await q.query<TargetRow>(
    `SELECT t.device_id AS "deviceId", d.name AS "deviceName", t.agent_id AS "agentId", t.status,
            t.started_at AS "startedAt", t.finished_at AS "finishedAt", t.error
       FROM job_targets t JOIN devices d ON d.tenant_id = t.tenant_id AND d.id = t.device_id
      WHERE t.job_id = $1
      ORDER BY lower(d.name), t.device_id`,
    [jobId],
  );
  return rows;
}

/** The devices among `ids` that exist in the tenant in context (row-level security hides the rest). */
export async function findTargetDevices(q: Queryable, ids: readonly string[]): Promise<TargetDeviceRow[]> {
  const { rows } = await q.query<TargetDeviceRow>(
    `SELECT id, agent_id AS "agentId", snmp IS NOT NULL AS "hasSnmp", tr181 IS NOT NULL AS "hasTr181"
       FROM devices WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows;
}

/** The kind of a credential of the tenant in context, or null when there is none with that id. */
export async function credentialKind(q: Queryable, id: string): Promise<string | null> {
  const { rows } = await q.query<{ kind: string }>('SELECT kind FROM credentials WHERE id = $1', [id]);
  return rows[0]?.kind ?? null;
}

/**
 * Stores a queued job and one target per device, each with the device's current agent
 * (read in the same statement, so a device moved meanwhile cannot leave a stale agent).
 */
export async function insertJob(
  q: Queryable,
  tenantId: string,
  j: {
    kind: JobKind;
    params: unknown;
    deviceIds: readonly string[];
    createdBy: string | null;
    expiresInSeconds: number;
  },
): Promise<{ id: string; expiresAt: Date }> {
  const { rows } = await q.query<{ id: string; expiresAt: Date }>(
    `INSERT INTO jobs (tenant_id, id, kind, params, status, total_targets, created_by, expires_at)
     VALUES ($1, gen_random_uuid(), $2, $3::jsonb, 'queued', $4, $5, now() + make_interval(secs => $6))
     RETURNING id, expires_at AS "expiresAt"`,
    [tenantId, j.kind, JSON.stringify(j.params), j.deviceIds.length, j.createdBy, j.expiresInSeconds],
  );
  const job = rows[0]!;
  await q.query(
    `INSERT INTO job_targets (tenant_id, job_id, device_id, agent_id, status)
     SELECT $1, $2, d.id, d.agent_id, 'queued' FROM devices d WHERE d.id = ANY($3::uuid[])`,
    [tenantId, job.id, j.deviceIds],
  );
  return job;
}

/**
 * Cancels the targets no agent has yet. Rows are locked in device order so this cannot
 * deadlock with a dispatcher updating the same job's targets in the same order.
 */
export async function cancelQueuedTargets(q: Queryable, tenantId: string, jobId: string): Promise<number> {
  const error: ResultError = { code: 'cancelled', message: 'Cancelled before it was sent to an agent' };
  const { rowCount } = await q.query(
    `UPDATE job_targets t SET status = 'cancelled', finished_at = now(), error = $3::jsonb
       FROM (SELECT device_id FROM job_targets
              WHERE tenant_id = $1 AND job_id = $2 AND status = 'queued'
              ORDER BY device_id FOR UPDATE) AS locked
      WHERE t.tenant_id = $1 AND t.job_id = $2 AND t.device_id = locked.device_id`,
    [tenantId, jobId, JSON.stringify(error)],
  );
  return rowCount;
}

export async function markCancelRequested(q: Queryable, tenantId: string, jobId: string): Promise<void> {
  await q.query(
    'UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, now()) WHERE tenant_id = $1 AND id = $2',
    [tenantId, jobId],
  );
}
