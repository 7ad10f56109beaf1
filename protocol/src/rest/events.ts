import { z } from 'zod';
import { TrapEvent } from '../events.js';
import { Timestamp, TimestampQuery, Uuid } from '../primitives.js';
import { PageQuery } from './paging.js';

export const EventKind = z.enum([
  'trap',
  'agent.online',
  'agent.offline',
  'agent.enrolled',
  'agent.revoked',
  'agent.config-refused',
  'agent.credentials-rotated',
]);
export type EventKind = z.infer<typeof EventKind>;

/** Something that happened, for the event log. `trap` is set for kind `trap`. */
export const Event = z.object({
  id: Uuid,
  tenantId: Uuid,
  kind: EventKind,
  at: Timestamp,
  agentId: Uuid.nullable(),
  deviceId: Uuid.nullable(),
  /** One line for lists, e.g. the trap's name or `agent went offline`. */
  summary: z.string(),
  trap: TrapEvent.nullable(),
});
export type Event = z.infer<typeof Event>;

export const EventQuery = PageQuery.extend({
  kind: EventKind.optional(),
  agentId: Uuid.optional(),
  deviceId: Uuid.optional(),
  since: TimestampQuery.optional(),
});
export type EventQuery = z.infer<typeof EventQuery>;
