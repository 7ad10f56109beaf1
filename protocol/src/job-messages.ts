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

/** The most targets of one job that one receipt entry names. */
export const MAX_RECEIPT_JOB_TARGETS = 1000;

/** Targets of one job that are in the agent's inbox. */
export const ReceiptedTargets = z.object({ jobId: Uuid, deviceIds: uniqueUuids(1, MAX_RECEIPT_JOB_TARGETS) });
export type ReceiptedTargets = z.infer<typeof ReceiptedTargets>;

/** The most jobs one receipt names. */
export const MAX_RECEIPT_JOBS = 1000;
/** The most targets one receipt names (about 150 KB of ids, under `MAX_MESSAGE_BYTES`). */
export const MAX_RECEIPT_TARGETS = 4000;

/**
 * `receipts` (agent→hub): these jobs' targets are in the agent's SQLite inbox. Sent only after
 * the insert commits — a broker's PUBACK proves nothing about storage.
 *
 * `targets` names the targets stored, per job: a job whose targets the hub split over several
 * `jobs` messages is receipted message by message, so the targets of a message that never
 * arrived stay unreceipted and are sent again when the agent next connects. A job of `jobIds`
 * without an entry in `targets` is receipted whole.
 */
export const JobReceipt = z
  .object({
    jobIds: uniqueUuids(1, MAX_RECEIPT_JOBS),
    targets: z.array(ReceiptedTargets).max(MAX_RECEIPT_JOBS).optional(),
  })
  .check((ctx) => {
    const { jobIds, targets } = ctx.value;
    if (!targets) return;
    const listed = new Set(jobIds.map((id) => id.toLowerCase()));
    let count = 0;
    for (const [i, t] of targets.entries()) {
      count += t.deviceIds.length;
      if (!listed.has(t.jobId.toLowerCase())) {
        ctx.issues.push({
          code: 'custom',
          path: ['targets', i, 'jobId'],
          message: 'must be one of jobIds',
          input: t.jobId,
        });
      }
    }
    if (count > MAX_RECEIPT_TARGETS) {
      ctx.issues.push({
        code: 'custom',
        path: ['targets'],
        message: `must name at most ${MAX_RECEIPT_TARGETS} targets in all`,
        input: count,
      });
    }
  });
export type JobReceipt = z.infer<typeof JobReceipt>;
