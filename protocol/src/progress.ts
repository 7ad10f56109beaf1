import { z } from 'zod';
import { Uuid } from './primitives.js';

/**
 * `progress` (agent→hub, best effort): live progress of one target for the dashboard. Not
 * stored in the outbox; a lost progress event is harmless because results are authoritative.
 */
export const ProgressEvent = z.object({
  jobId: Uuid,
  deviceId: Uuid,
  /** `started` once per target; `varbinds` while a walk runs; `done` just before the result. */
  state: z.enum(['started', 'varbinds', 'done']),
  counts: z.object({ varbinds: z.int().min(0) }),
  /** Optional work units, e.g. OIDs or walk pages, when the agent can tell. */
  done: z.int().min(0).optional(),
  total: z.int().min(0).optional(),
});
export type ProgressEvent = z.infer<typeof ProgressEvent>;
