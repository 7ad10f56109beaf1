import { z } from 'zod';
import { Name, Timestamp, Uuid } from '../primitives.js';
import { OutboxStats } from '../status.js';

/** `never` until the agent's first connection; `revoked` is final. */
export const AgentState = z.enum(['online', 'offline', 'revoked', 'never']);
export type AgentState = z.infer<typeof AgentState>;

export const Agent = z.object({
  id: Uuid,
  tenantId: Uuid,
  siteId: Uuid,
  name: Name,
  version: z.string(),
  state: AgentState,
  lastSeenAt: Timestamp.nullable(),
  configRevision: z.int().min(-1),
  outbox: OutboxStats.nullable(),
  createdAt: Timestamp,
  revokedAt: Timestamp.nullable(),
});
export type Agent = z.infer<typeof Agent>;
