import { z } from 'zod';
import { Name, Timestamp, Uuid } from '../primitives.js';
import { OutboxStats } from '../status.js';
import { PageQuery } from './paging.js';

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
  /** The revision of devices, credentials and schedules the hub wants this agent to hold. */
  configRevision: z.int().min(-1),
  /** The revision the agent has confirmed it holds; behind `configRevision` until it applies the latest. */
  appliedConfigRevision: z.int().min(0),
  outbox: OutboxStats.nullable(),
  createdAt: Timestamp,
  revokedAt: Timestamp.nullable(),
  /**
   * Set while a new MQTT password waits for the agent: it receives the password with its next
   * config and uses it from its acknowledgement on (the old one works until then).
   */
  credentialRotationRequestedAt: Timestamp.nullable(),
  /** When the agent last took a new MQTT password; null while it has the one from enrollment. */
  credentialsRotatedAt: Timestamp.nullable(),
});
export type Agent = z.infer<typeof Agent>;

export const AgentQuery = PageQuery.extend({
  siteId: Uuid.optional(),
  state: AgentState.optional(),
});
export type AgentQuery = z.infer<typeof AgentQuery>;

/** Rename an agent or move it to another site of the same tenant; fields left out are kept. */
export const AgentUpdate = z
  .object({ name: Name.optional(), siteId: Uuid.optional() })
  .refine((u) => u.name !== undefined || u.siteId !== undefined, 'give a name or a siteId');
export type AgentUpdate = z.infer<typeof AgentUpdate>;
