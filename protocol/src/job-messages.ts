import { z } from 'zod';
import { DeviceAccess } from './device-access.js';
import { jobVariants } from './jobs.js';
import { Timestamp, Uuid, uniqueUuids } from './primitives.js';

/**
 * `jobs` (hub→agent): run a job on some of this agent's devices. SECRET: `targets` carry
 * credential material (see `DeviceAccess`).
 *
 * A large job may arrive as several dispatches with the same `jobId` and disjoint targets, so
 * each message stays under `MAX_MESSAGE_BYTES`; the agent keys its inbox on (jobId, deviceId)
 * and treats a repeated pair as already stored (the hub re-sends unreceipted jobs on connect).
 * The agent applies `params`' overrides over each target's `snmp` settings
 * (`effectiveSnmpOptions`); `credentialId` and `version` are already resolved into `snmp`.
 */
export const JobDispatch = jobVariants({
  jobId: Uuid,
  tenantId: Uuid,
  targets: z.array(DeviceAccess).min(1).max(1000),
  /** After this the agent drops targets not yet started and reports them `expired`. */
  deadline: Timestamp,
  createdAt: Timestamp,
});
export type JobDispatch = z.infer<typeof JobDispatch>;

/** `cancel` (hub→agent): stop a job, or only some of its targets. */
export const JobCancel = z.object({
  jobId: Uuid,
  /** Device ids; left out means every target of the job. */
  targetIds: uniqueUuids(1, 1000).optional(),
});
export type JobCancel = z.infer<typeof JobCancel>;

/**
 * `receipts` (agent→hub): these jobs are in the agent's SQLite inbox. Sent only after the
 * insert commits — a broker's PUBACK proves nothing about storage.
 */
export const JobReceipt = z.object({
  jobIds: uniqueUuids(1, 1000),
  /** Envelope ids of the dispatch messages stored, when the hub split a job into several. */
  dispatchIds: z.array(Uuid).max(1000).optional(),
});
export type JobReceipt = z.infer<typeof JobReceipt>;
