import { z } from 'zod';
import { Timestamp, Uuid } from './primitives.js';

/** The agent's outbox: what waits for the hub's ack. */
export const OutboxStats = z.object({
  count: z.int().min(0),
  bytes: z.int().min(0),
  oldestAt: Timestamp.optional(),
  /** Items dropped since the agent started because the outbox hit its size bound. */
  dropped: z.int().min(0),
});
export type OutboxStats = z.infer<typeof OutboxStats>;

export const InboxStats = z.object({
  /** Job targets stored and not yet finished. */
  queued: z.int().min(0),
});
export type InboxStats = z.infer<typeof InboxStats>;

/**
 * `status` (agent→hub, retained): presence and health. The agent registers an `offline`
 * status as its MQTT last will and publishes `offline` itself on a clean stop (a will only
 * fires on an abrupt drop). A will is composed at connect time, so its `ts` is stale: the hub
 * uses its receive time for `offline`. `outbox` and `inbox` may be absent from a will.
 */
export const AgentStatus = z.object({
  agentId: Uuid,
  state: z.enum(['online', 'offline']),
  version: z.string().min(1).max(64),
  startedAt: Timestamp,
  /** Last config revision stored; -1 before the first one. */
  configRevision: z.int().min(-1),
  outbox: OutboxStats.optional(),
  inbox: InboxStats.optional(),
  /** Last time the agent heard from the hub (an ack, a job or a config). */
  lastContactAt: Timestamp.optional(),
  /** Messages from the hub the agent dropped as invalid (size, JSON, version, schema) since it started. */
  invalidMessages: z.int().min(0).optional(),
});
export type AgentStatus = z.infer<typeof AgentStatus>;
