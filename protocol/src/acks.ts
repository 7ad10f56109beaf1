import { z } from 'zod';
import { Uuid } from './primitives.js';

/**
 * `ack` (hub→agent): outbox items the hub has committed to PostgreSQL, and items it will never
 * accept (e.g. the job or device no longer exists). The agent deletes both from its outbox;
 * anything not listed is re-sent later.
 */
export const ResultAck = z.object({
  /** Envelope id of the `results` message this answers, when it answers one. */
  batchId: Uuid.optional(),
  committed: z.array(Uuid).max(500),
  rejected: z
    .array(z.object({ id: Uuid, reason: z.string().max(500) }))
    .max(500)
    .optional(),
});
export type ResultAck = z.infer<typeof ResultAck>;

/** `config-ack` (agent→hub): the agent stored (`ok`) or refused a config revision. */
export const ConfigAck = z.object({
  revision: z.int().min(0),
  ok: z.boolean(),
  error: z.string().max(2000).optional(),
  /**
   * The credential rotation whose new MQTT password the agent now holds (the config it stored
   * carried it): the hub ends that rotation on this, and on nothing less.
   */
  rotationId: Uuid.optional(),
});
export type ConfigAck = z.infer<typeof ConfigAck>;
