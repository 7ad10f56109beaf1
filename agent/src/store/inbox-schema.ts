/** The inbox's types, its row schema, and the results it writes for targets that never ran. */
import { z } from 'zod';
import { DeviceAccess, JobSpec, type ResultError, type ResultRecord, Uuid, uuidv7 } from '@drm/protocol';
import { EpochMs, Flag, jsonColumn, NullableEpochMs, toIso, toIsoOrNull } from './rows.js';

export const INBOX_STATES = ['queued', 'running', 'done', 'cancelled'] as const;
export type InboxState = (typeof INBOX_STATES)[number];

export interface InboxKey {
  jobId: string;
  deviceId: string;
}

/** One job target as stored: the dispatch's job fields with this target's device access. */
export interface InboxTarget extends InboxKey {
  tenantId: string;
  spec: JobSpec;
  /** SECRET. Null once the target is finished: credentials are not kept longer than needed. */
  access: DeviceAccess | null;
  deadline: string;
  createdAt: string;
  state: InboxState;
  /** Times the target was started; above 1 it was interrupted by a crash and requeued. */
  attempts: number;
  receivedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  receipted: boolean;
}

export interface PutOutcome {
  jobId: string;
  inserted: number;
  /** Targets already stored (a re-delivery); left exactly as they were. */
  duplicates: number;
}

export interface CancelOutcome {
  /** Queued targets now cancelled, each with a `cancelled` result in the outbox. */
  cancelled: InboxKey[];
  /** Targets running now: the executor must abort them and `complete` them itself. */
  running: InboxKey[];
}

export type InboxCounts = Record<InboxState, number>;

export const InboxRow = z
  .object({
    job_id: Uuid,
    device_id: Uuid,
    tenant_id: Uuid,
    spec: jsonColumn(JobSpec),
    access: jsonColumn(DeviceAccess).nullable(),
    deadline: EpochMs,
    created_at: EpochMs,
    state: z.enum(INBOX_STATES),
    attempts: z.int().min(0),
    received_at: EpochMs,
    started_at: NullableEpochMs,
    finished_at: NullableEpochMs,
    receipted: Flag,
  })
  .refine((r) => (r.access === null ? r.state === 'done' || r.state === 'cancelled' : true), {
    message: 'an unfinished target has no device access',
    path: ['access'],
  })
  .refine((r) => r.access === null || r.access.deviceId.toLowerCase() === r.device_id, {
    message: 'device access is for another device',
    path: ['access'],
  })
  .transform(
    (r): InboxTarget => ({
      jobId: r.job_id,
      deviceId: r.device_id,
      tenantId: r.tenant_id,
      spec: r.spec,
      access: r.access,
      deadline: toIso(r.deadline),
      createdAt: toIso(r.created_at),
      state: r.state,
      attempts: r.attempts,
      receivedAt: toIso(r.received_at),
      startedAt: toIsoOrNull(r.started_at),
      finishedAt: toIsoOrNull(r.finished_at),
      receipted: r.receipted,
    }),
  );

export type Row = Record<string, unknown>;

export function keyOf(t: InboxKey): InboxKey {
  return { jobId: t.jobId, deviceId: t.deviceId };
}

/** The result of a target that never ran (cancelled or expired). */
export function failedResult(t: InboxKey, at: number, error: ResultError): ResultRecord {
  const ts = toIso(at);
  return {
    kind: 'result',
    id: uuidv7(at),
    jobId: t.jobId,
    deviceId: t.deviceId,
    status: 'failed',
    startedAt: ts,
    finishedAt: ts,
    error,
  };
}
