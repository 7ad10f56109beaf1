import { z } from 'zod';
import { JobKind, JobStatus, JobTargets, TargetStatus, jobVariants } from '../jobs.js';
import { Timestamp, TimestampQuery, Uuid } from '../primitives.js';
import { ResultError } from '../results.js';
import { Varbind } from '../snmp.js';
import { Tr181Value } from '../tr181.js';
import { PageQuery } from './paging.js';

/** Bounds of `JobCreateRequest.expiresInSeconds`; one hour when left out. */
export const JOB_EXPIRY_SECONDS = { min: 60, max: 7 * 86_400, default: 3600 } as const;

/**
 * REST body of `POST …/jobs`: `JobCreate` plus an optional deadline. Targets not finished
 * `expiresInSeconds` after creation expire (default one hour).
 */
export const JobCreateRequest = jobVariants({
  targets: JobTargets,
  expiresInSeconds: z.int().min(JOB_EXPIRY_SECONDS.min).max(JOB_EXPIRY_SECONDS.max).optional(),
});
export type JobCreateRequest = z.infer<typeof JobCreateRequest>;

/** `POST …/jobs` → 202. */
export const JobCreated = z.object({ id: Uuid, status: z.literal('queued') });
export type JobCreated = z.infer<typeof JobCreated>;

/** One device of a job, as the hub tracks it. */
export const JobTarget = z.object({
  deviceId: Uuid,
  /** The device's current name, for display. */
  deviceName: z.string().optional(),
  /** The agent the target was dispatched to; `null` if the device had none. */
  agentId: Uuid.nullable(),
  status: TargetStatus,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  error: ResultError.nullable(),
});
export type JobTarget = z.infer<typeof JobTarget>;

export const JobProgress = z.object({
  /** Targets in a terminal status. */
  done: z.int().min(0),
  total: z.int().min(0),
});
export type JobProgress = z.infer<typeof JobProgress>;

/** A job with its spec; `targets` only in `GET …/jobs/{id}`. */
export const Job = jobVariants({
  id: Uuid,
  tenantId: Uuid,
  status: JobStatus,
  progress: JobProgress,
  /** The user (or API token's user); `null` for jobs the system made. */
  createdBy: Uuid.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  /** When the first target started. */
  startedAt: Timestamp.nullable().optional(),
  /** When someone asked to cancel; targets already on an agent stop when the agent sees it. */
  cancelRequestedAt: Timestamp.nullable().optional(),
  /** Targets not finished by then expire. */
  expiresAt: Timestamp.nullable().optional(),
  targets: z.array(JobTarget).optional(),
});
export type Job = z.infer<typeof Job>;

export const JobQuery = PageQuery.extend({
  status: JobStatus.optional(),
  kind: JobKind.optional(),
  deviceId: Uuid.optional(),
  agentId: Uuid.optional(),
  /** Jobs created at or after this time. */
  since: TimestampQuery.optional(),
});
export type JobQuery = z.infer<typeof JobQuery>;

/**
 * One stored result (`GET …/jobs/{id}/results`). The parts of a split result (see
 * `ResultRecord.part`) are merged into one by the hub.
 */
export const JobResult = z.object({
  id: Uuid,
  jobId: Uuid,
  deviceId: Uuid,
  /** `null` once the agent that sent the result has been deleted: the result outlives it. */
  agentId: Uuid.nullable(),
  status: z.enum(['succeeded', 'failed']),
  varbinds: z.array(Varbind).nullable(),
  tr181: z.array(Tr181Value).nullable(),
  error: ResultError.nullable(),
  startedAt: Timestamp,
  finishedAt: Timestamp,
  receivedAt: Timestamp,
});
export type JobResult = z.infer<typeof JobResult>;
