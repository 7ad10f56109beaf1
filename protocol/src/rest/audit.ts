import { z } from 'zod';
import { Timestamp, Uuid } from '../primitives.js';

/** One audited action, e.g. `action: 'device.update', targetType: 'device'`. */
export const AuditEntry = z.object({
  id: Uuid,
  at: Timestamp,
  /** `null` for actions of the system itself. */
  actorUserId: Uuid.nullable(),
  /** How the actor acted: in a browser session, through an API token, as an agent, or the hub itself. */
  actorKind: z.enum(['user', 'api-token', 'agent', 'system']),
  actorEmail: z.string().optional(),
  action: z.string().min(1),
  targetType: z.string().min(1),
  targetId: z.string().nullable(),
  /** Never holds secrets. */
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;
