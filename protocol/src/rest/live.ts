import { z } from 'zod';
import { JobStatus, TargetStatus } from '../jobs.js';
import { Timestamp, Uuid } from '../primitives.js';
import { ProgressEvent } from '../progress.js';
import { ResultError } from '../results.js';
import { SnmpValueType } from '../snmp.js';
import { OutboxStats } from '../status.js';
import { AgentState } from './agents.js';
import { JobProgress } from './jobs.js';

/**
 * The live stream: `GET /api/v1/live` (WebSocket, one per browser tab) and the per-job SSE
 * stream. Authenticated like every API call (session cookie or bearer header, never a token
 * in the URL). A client subscribes to topics it may see; a topic it may not see is answered
 * with `error` code `not_found`, the same as a topic that does not exist.
 */

/** What a client can watch. */
export const LiveTopic = z.discriminatedUnion('kind', [
  /** Progress and status of one job, per target. */
  z.object({ kind: z.literal('job'), tenantId: Uuid, jobId: Uuid }),
  /** New samples and job activity of one device. */
  z.object({ kind: z.literal('device'), tenantId: Uuid, deviceId: Uuid }),
  /** Presence and backlog of every agent of a tenant. */
  z.object({ kind: z.literal('agents'), tenantId: Uuid }),
  /** A tenant's overview: job status changes, agent presence, traps. */
  z.object({ kind: z.literal('tenant'), tenantId: Uuid }),
]);
export type LiveTopic = z.infer<typeof LiveTopic>;

/** A stable string for a topic, e.g. `job:{tenantId}:{jobId}`. */
export function liveTopicKey(topic: LiveTopic): string {
  switch (topic.kind) {
    case 'job':
      return `job:${topic.tenantId}:${topic.jobId}`;
    case 'device':
      return `device:${topic.tenantId}:${topic.deviceId}`;
    case 'agents':
      return `agents:${topic.tenantId}`;
    case 'tenant':
      return `tenant:${topic.tenantId}`;
  }
}

/** Largest client frame the hub reads; anything bigger closes the socket (1009). */
export const LIVE_MAX_CLIENT_FRAME_BYTES = 16 * 1024;
/** Most topics one connection may hold at once. */
export const LIVE_MAX_TOPICS = 200;

/**
 * Close codes the hub uses (RFC 6455 section 7.4.1). A client reconnects with backoff after
 * any of them except `POLICY` (session ended: log in again).
 */
export const LIVE_CLOSE_CODES = {
  /** The hub is shutting down or restarting. */
  GOING_AWAY: 1001,
  /** The session ended (logout, revoked token), or too many bad frames. */
  POLICY: 1008,
  /** A client frame larger than `LIVE_MAX_CLIENT_FRAME_BYTES`. */
  TOO_BIG: 1009,
  /** The client could not keep up with its topics; it may come back for a fresh snapshot. */
  TRY_AGAIN_LATER: 1013,
} as const;

/**
 * `code` of an `error` frame: `not_found` (the topic does not exist or may not be seen: the
 * same answer for both), `bad_frame` (not JSON, or not a known frame), `limit` (too many
 * topics), `busy` (too many subscriptions being opened at once), `unavailable` (try again).
 */
export const LIVE_ERROR_CODES = ['not_found', 'bad_frame', 'limit', 'busy', 'unavailable'] as const;

/** Client → hub frames. `ref` is echoed in the answer so a client can match it. */
export const LiveClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), ref: z.string().max(64).optional(), topic: LiveTopic }),
  z.object({ type: z.literal('unsubscribe'), ref: z.string().max(64).optional(), topic: LiveTopic }),
  z.object({ type: z.literal('ping'), ref: z.string().max(64).optional() }),
]);
export type LiveClientMessage = z.infer<typeof LiveClientMessage>;

/** One target's state in a job snapshot or update. */
export const LiveTarget = z.object({
  deviceId: Uuid,
  status: TargetStatus,
  error: ResultError.nullable().optional(),
  /** Varbinds seen so far while a walk runs. */
  varbinds: z.int().min(0).optional(),
});
export type LiveTarget = z.infer<typeof LiveTarget>;

/** A job's state: sent as the snapshot on subscribe and whenever its status or a target changes. */
export const LiveJobState = z.object({
  tenantId: Uuid,
  jobId: Uuid,
  status: JobStatus,
  progress: JobProgress,
  /** Targets that changed (all of them in a snapshot). */
  targets: z.array(LiveTarget),
  finishedAt: Timestamp.nullable(),
});
export type LiveJobState = z.infer<typeof LiveJobState>;

export const LiveAgentState = z.object({
  tenantId: Uuid,
  agentId: Uuid,
  /** For display without a separate fetch (added after the first version: optional). */
  name: z.string().optional(),
  siteId: Uuid.optional(),
  state: AgentState,
  lastSeenAt: Timestamp.nullable(),
  version: z.string().optional(),
  outbox: OutboxStats.nullable().optional(),
  /** The revision the hub wants the agent to hold, and the one it has confirmed (as `Agent`). */
  configRevision: z.int().min(-1).optional(),
  appliedConfigRevision: z.int().min(0).optional(),
  /** As `Agent`: a new MQTT password waits for the agent, and when it last took one. */
  credentialRotationRequestedAt: Timestamp.nullable().optional(),
  credentialsRotatedAt: Timestamp.nullable().optional(),
});
export type LiveAgentState = z.infer<typeof LiveAgentState>;

export const LiveSample = z.object({
  tenantId: Uuid,
  deviceId: Uuid,
  scheduleId: Uuid,
  ts: Timestamp,
  oid: z.string(),
  name: z.string().optional(),
  type: SnmpValueType.optional(),
  valueNum: z.number().nullable().optional(),
  valueText: z.string().nullable().optional(),
});
export type LiveSample = z.infer<typeof LiveSample>;

export const LiveTrap = z.object({
  tenantId: Uuid,
  id: Uuid,
  receivedAt: Timestamp,
  agentId: Uuid,
  deviceId: Uuid.nullable(),
  trapOid: z.string(),
  trapName: z.string().optional(),
  source: z.string(),
});
export type LiveTrap = z.infer<typeof LiveTrap>;

/** Hub → client frames. `at` is when the hub sent it. */
export const LiveServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), at: Timestamp, heartbeatSeconds: z.int().min(1) }),
  z.object({
    type: z.literal('subscribed'),
    ref: z.string().optional(),
    topic: LiveTopic,
    /** The current state, so a client that (re)subscribes needs no separate fetch. */
    snapshot: z.union([LiveJobState, z.array(LiveAgentState)]).optional(),
  }),
  z.object({ type: z.literal('unsubscribed'), ref: z.string().optional(), topic: LiveTopic }),
  z.object({
    type: z.literal('error'),
    ref: z.string().optional(),
    code: z.string(),
    message: z.string(),
    topic: LiveTopic.optional(),
  }),
  z.object({ type: z.literal('pong'), ref: z.string().optional(), at: Timestamp }),
  /** Per-target progress from an agent. Coalesced per target for a slow client. */
  z.object({
    type: z.literal('job.progress'),
    tenantId: Uuid,
    at: Timestamp,
    progress: ProgressEvent,
  }),
  z.object({ type: z.literal('job.updated'), at: Timestamp, job: LiveJobState }),
  z.object({ type: z.literal('agent.updated'), at: Timestamp, agent: LiveAgentState }),
  z.object({ type: z.literal('samples'), at: Timestamp, samples: z.array(LiveSample) }),
  z.object({ type: z.literal('trap'), at: Timestamp, trap: LiveTrap }),
]);
export type LiveServerMessage = z.infer<typeof LiveServerMessage>;

/**
 * SSE (`GET /api/v1/tenants/{tenantId}/jobs/{id}/events`): each event's name is the frame's
 * `type` (`snapshot` for the first one, a `LiveJobState`), its data the frame as JSON. The
 * stream ends with an `end` event once the job is terminal.
 */
export const SSE_EVENT_SNAPSHOT = 'snapshot';
export const SSE_EVENT_END = 'end';
