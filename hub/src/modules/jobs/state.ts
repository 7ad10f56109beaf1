import { type JobStatus, type ResultError, type TargetStatus, isTerminalStatus } from '@drm/protocol';
import { jsonForPg } from '../../db/json.js';
import type { Queryable } from '../../db/types.js';
import { aggregateJobStatus, canTransition, type StatusCounts } from './transitions.js';

/** Columns a transition may set besides the status; timestamps left out default as documented. */
export interface TargetFields {
  /** The agent now holding the target (e.g. the device moved to another agent before dispatch). */
  agentId?: string | null;
  /** Default for `dispatched`: now. */
  dispatchedAt?: Date | string;
  /** When the agent confirmed the job is stored in its inbox. */
  receiptedAt?: Date | string;
  /** The agent's start time; default for `running`: now. A target cancelled before it ran has none. */
  startedAt?: Date | string;
  /** Default for a terminal status: now. */
  finishedAt?: Date | string;
  error?: ResultError | null;
  /** The last progress the agent reported, as it reported it. */
  progress?: Record<string, unknown> | null;
}

export type TransitionResult =
  | { kind: 'applied'; from: TargetStatus; to: TargetStatus }
  /** Already in that status; for a non-terminal status `progress` and `error` were still updated. */
  | { kind: 'unchanged'; status: TargetStatus }
  /** Not allowed from the current status (e.g. a late `running` after the result): nothing written. */
  | { kind: 'rejected'; status: TargetStatus }
  | { kind: 'missing' };

const ts = (v: Date | string | undefined) =>
  v === undefined ? null : v instanceof Date ? v.toISOString() : v;
const json = (v: unknown) => (v === undefined ? null : jsonForPg(v));

/**
 * Moves one target of a job to `to` inside the caller's transaction, if `canTransition`
 * allows it. The target row is locked first; call `recomputeJobStatus` afterwards (once per
 * job for a batch). Lock order: target rows before the job row, everywhere.
 */
export async function applyTargetTransition(
  q: Queryable,
  tenantId: string,
  jobId: string,
  deviceId: string,
  to: TargetStatus,
  fields: TargetFields = {},
): Promise<TransitionResult> {
  const key = [tenantId, jobId, deviceId];
  const { rows } = await q.query<{ status: TargetStatus }>(
    'SELECT status FROM job_targets WHERE tenant_id = $1 AND job_id = $2 AND device_id = $3 FOR UPDATE',
    key,
  );
  const from = rows[0]?.status;
  if (!from) return { kind: 'missing' };
  if (from === to) {
    if (!isTerminalStatus(from) && (fields.progress !== undefined || fields.error !== undefined)) {
      await q.query(
        `UPDATE job_targets SET progress = COALESCE($4::jsonb, progress), error = COALESCE($5::jsonb, error)
          WHERE tenant_id = $1 AND job_id = $2 AND device_id = $3`,
        [...key, json(fields.progress), json(fields.error)],
      );
    }
    return { kind: 'unchanged', status: from };
  }
  if (!canTransition(from, to)) return { kind: 'rejected', status: from };
  const terminal = isTerminalStatus(to);
  await q.query(
    `UPDATE job_targets SET
        status = $4,
        agent_id = CASE WHEN $5::boolean THEN $6::uuid ELSE agent_id END,
        dispatched_at = CASE WHEN $4 = 'dispatched' THEN COALESCE($7::timestamptz, now()) ELSE dispatched_at END,
        attempts = attempts + CASE WHEN $4 = 'dispatched' THEN 1 ELSE 0 END,
        receipted_at = COALESCE($8::timestamptz, receipted_at),
        started_at = COALESCE($9::timestamptz, started_at, CASE WHEN $4 = 'running' THEN now() END),
        finished_at = CASE WHEN $11::boolean THEN COALESCE($10::timestamptz, now()) ELSE finished_at END,
        error = COALESCE($12::jsonb, error),
        progress = COALESCE($13::jsonb, progress)
      WHERE tenant_id = $1 AND job_id = $2 AND device_id = $3`,
    [
      ...key,
      to,
      fields.agentId !== undefined,
      fields.agentId ?? null,
      ts(fields.dispatchedAt),
      ts(fields.receiptedAt),
      ts(fields.startedAt),
      ts(fields.finishedAt),
      terminal,
      json(fields.error),
      json(fields.progress),
    ],
  );
  return { kind: 'applied', from, to };
}

export interface JobAggregate {
  status: JobStatus;
  /** Targets in a terminal status. */
  done: number;
  total: number;
  /** Whether the job's status or done count moved (worth a live update). */
  changed: boolean;
}

/**
 * Derives the job's status, `done_targets`, `total_targets`, `started_at` and `finished_at`
 * from its targets (which go when their device is deleted) and stores them. Locks the job row
 * first, so two transactions that each moved a target of the same job serialise here and the
 * second counts the first's committed change. Null when the job does not exist (in this tenant).
 */
export async function recomputeJobStatus(
  q: Queryable,
  tenantId: string,
  jobId: string,
): Promise<JobAggregate | null> {
  // NO KEY UPDATE, not UPDATE: a transaction inserting rows that reference the job holds KEY
  // SHARE on it from their foreign key checks, which FOR UPDATE would wait for (result batches
  // of one job deadlocked that way while job_results referenced jobs). NO KEY UPDATE still
  // serialises recomputes of the job.
  const { rows: jobs } = await q.query<{ status: JobStatus; done: number; total: number }>(
    `SELECT status, done_targets AS done, total_targets AS total
       FROM jobs WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`,
    [tenantId, jobId],
  );
  const job = jobs[0];
  if (!job) return null;
  const { rows } = await q.query<{ status: TargetStatus; n: number; firstStart: Date | null }>(
    `SELECT status, count(*)::int AS n, min(started_at) AS "firstStart"
       FROM job_targets WHERE tenant_id = $1 AND job_id = $2 GROUP BY status`,
    [tenantId, jobId],
  );
  const counts: StatusCounts = {};
  let total = 0;
  let done = 0;
  let firstStart: Date | null = null;
  for (const r of rows) {
    counts[r.status] = r.n;
    total += r.n;
    if (isTerminalStatus(r.status)) done += r.n;
    if (r.firstStart && (!firstStart || r.firstStart < firstStart)) firstStart = r.firstStart;
  }
  // A job whose targets were all deleted with their devices has nothing left to run.
  const status = total === 0 && job.total > 0 ? 'cancelled' : aggregateJobStatus(counts);
  const changed = status !== job.status || done !== job.done || total !== job.total;
  if (changed) {
    await q.query(
      `UPDATE jobs SET
          status = $3,
          done_targets = $4,
          total_targets = $7,
          started_at = COALESCE(started_at, $5::timestamptz, CASE WHEN $3 = 'running' THEN now() END),
          finished_at = CASE WHEN $6::boolean THEN COALESCE(finished_at, now()) END
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, jobId, status, done, firstStart?.toISOString() ?? null, isTerminalStatus(status), total],
    );
  }
  return { status, done, total, changed };
}

/**
 * A job's `started_at` when it becomes running without a recount, as `recomputeJobStatus` sets
 * it: kept once set, else the earliest start among its targets, else now. The targets are read
 * only while it is unset (COALESCE stops at the first value), once in a job's life.
 */
const FIRST_START = `COALESCE(started_at,
  (SELECT min(t.started_at) FROM job_targets t WHERE t.tenant_id = $1 AND t.job_id = $2), now())`;

/**
 * The cheap form of `recomputeJobStatus` for targets that just ended: when `ended` targets of
 * the job went from an open status to a terminal one in this transaction and others remain
 * open, the job is `running` with `ended` more targets done, and only the job row is touched.
 * Counting every target of a 50,000-device job for each batch of its results is what this
 * spares. Returns false, writing nothing, when the job would finish (or is not where this
 * applies): call `recomputeJobStatus` then.
 *
 * Correct under concurrency because every writer of a job's counts holds its row first: a
 * recompute that runs after this commits counts these targets; one that committed before has
 * left counts that these targets, open until now, were not part of.
 */
export async function advanceJobStatus(
  q: Queryable,
  tenantId: string,
  jobId: string,
  ended: number,
): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE jobs SET
        status = 'running',
        done_targets = done_targets + $3,
        started_at = ${FIRST_START}
      WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'dispatched', 'running')
        AND done_targets + $3 < total_targets`,
    [tenantId, jobId, ended],
  );
  return rowCount === 1;
}

/**
 * The cheap form of `recomputeJobStatus` for a target that just moved from `queued` or
 * `dispatched` to `running`: the job is `running` from then on (with its start time set the
 * first time), and nothing else about it changed. A job already running is not written at all:
 * each target's first progress of a 50,000-device job no longer counts the whole job.
 * Concurrent recounts stay right: a target only moves forward, so a job that was running stays
 * running whatever they count, and one that was not waits here for the row, as they do.
 */
export async function markJobRunning(q: Queryable, tenantId: string, jobId: string): Promise<void> {
  await q.query(
    `UPDATE jobs SET
        status = 'running',
        started_at = ${FIRST_START}
      WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'dispatched')`,
    [tenantId, jobId],
  );
}
