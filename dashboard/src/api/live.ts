import type {
  LiveAgentState,
  LiveJobState,
  LiveSample,
  LiveServerMessage,
  LiveTopic,
  LiveTrap,
  ProgressEvent,
} from '@drm/protocol';
import { LiveClient, type LiveStatus } from './live-client.js';

export type { LiveStatus } from './live-client.js';

/** The live stream refused or lost a topic (e.g. `not_found` once a job is deleted). */
export interface LiveTopicError {
  type: 'error';
  code: string;
  message: string;
}

export type JobLiveEvent =
  | { type: 'snapshot'; job: LiveJobState }
  | { type: 'updated'; job: LiveJobState }
  | { type: 'progress'; progress: ProgressEvent; at: string }
  | LiveTopicError;

export type DeviceLiveEvent =
  /** The hub confirmed the subscription (also after a reconnect); see `TenantLiveEvent`. */
  | { type: 'subscribed' }
  | { type: 'samples'; samples: LiveSample[] }
  | { type: 'progress'; progress: ProgressEvent; at: string }
  | { type: 'job'; job: LiveJobState }
  | { type: 'trap'; trap: LiveTrap }
  | LiveTopicError;

export type AgentsLiveEvent =
  | { type: 'snapshot'; agents: LiveAgentState[] }
  | { type: 'updated'; agent: LiveAgentState }
  | LiveTopicError;

export type TenantLiveEvent =
  /**
   * The hub confirmed the subscription (also again after a reconnect): from here on nothing is
   * missed, but what happened before it, since the view last loaded, may have been. A view that
   * shows a loaded list reloads it here.
   */
  | { type: 'subscribed' }
  | { type: 'job'; job: LiveJobState }
  | { type: 'agent'; agent: LiveAgentState }
  | { type: 'trap'; trap: LiveTrap }
  | LiveTopicError;

let client: LiveClient | null = null;

/** `ws(s)://<this origin>/api/v1/live`: same origin, so the session cookie goes along. */
function liveUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/api/v1/live`;
}

/** The tab's one live connection, made on first use. */
export function liveClient(): LiveClient {
  if (!client) {
    const c = new LiveClient({ url: liveUrl });
    window.addEventListener('online', () => c.reconnectNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') c.reconnectNow();
    });
    client = c;
  }
  return client;
}

/** Closes the live connection (logout); the next subscription opens a new one. */
export function closeLive(): void {
  client?.close();
}

export function onLiveStatus(listener: (status: LiveStatus) => void): () => void {
  return liveClient().onStatus(listener);
}

function watch(topic: LiveTopic, map: (frame: LiveServerMessage) => void): () => void {
  return liveClient().subscribe(topic, map);
}

function topicError(frame: LiveServerMessage): LiveTopicError | null {
  return frame.type === 'error' ? { type: 'error', code: frame.code, message: frame.message } : null;
}

/** Progress and status of one job, per target; the first event is a snapshot. */
export function subscribeJob(tenantId: string, jobId: string, cb: (ev: JobLiveEvent) => void): () => void {
  return watch({ kind: 'job', tenantId, jobId }, (f) => {
    const err = topicError(f);
    if (err) cb(err);
    else if (f.type === 'subscribed' && f.snapshot && !Array.isArray(f.snapshot)) {
      cb({ type: 'snapshot', job: f.snapshot });
    } else if (f.type === 'job.updated' && f.job.jobId === jobId) cb({ type: 'updated', job: f.job });
    else if (f.type === 'job.progress' && f.progress.jobId === jobId) {
      cb({ type: 'progress', progress: f.progress, at: f.at });
    }
  });
}

/** New samples of one device, and activity of jobs on it. */
export function subscribeDevice(
  tenantId: string,
  deviceId: string,
  cb: (ev: DeviceLiveEvent) => void,
): () => void {
  return watch({ kind: 'device', tenantId, deviceId }, (f) => {
    const err = topicError(f);
    if (err) cb(err);
    else if (f.type === 'samples') {
      const samples = f.samples.filter((s) => s.deviceId === deviceId);
      if (samples.length > 0) cb({ type: 'samples', samples });
    } else if (f.type === 'job.progress' && f.progress.deviceId === deviceId) {
      cb({ type: 'progress', progress: f.progress, at: f.at });
    } else if (f.type === 'job.updated') cb({ type: 'job', job: f.job });
    else if (f.type === 'trap' && f.trap.deviceId === deviceId) cb({ type: 'trap', trap: f.trap });
    else if (f.type === 'subscribed') cb({ type: 'subscribed' });
  });
}

/** Presence and backlog of every agent of a tenant; the first event is a snapshot. */
export function subscribeAgents(tenantId: string, cb: (ev: AgentsLiveEvent) => void): () => void {
  return watch({ kind: 'agents', tenantId }, (f) => {
    const err = topicError(f);
    if (err) cb(err);
    else if (f.type === 'subscribed' && Array.isArray(f.snapshot))
      cb({ type: 'snapshot', agents: f.snapshot });
    else if (f.type === 'agent.updated' && f.agent.tenantId === tenantId)
      cb({ type: 'updated', agent: f.agent });
  });
}

/** A tenant's activity: job status changes, agent presence, traps. */
export function subscribeTenant(tenantId: string, cb: (ev: TenantLiveEvent) => void): () => void {
  return watch({ kind: 'tenant', tenantId }, (f) => {
    const err = topicError(f);
    if (err) cb(err);
    else if (f.type === 'job.updated' && f.job.tenantId === tenantId) cb({ type: 'job', job: f.job });
    else if (f.type === 'agent.updated' && f.agent.tenantId === tenantId)
      cb({ type: 'agent', agent: f.agent });
    else if (f.type === 'trap' && f.trap.tenantId === tenantId) cb({ type: 'trap', trap: f.trap });
    else if (f.type === 'subscribed') cb({ type: 'subscribed' });
  });
}
