import { type LiveServerMessage, type LiveTopic, liveTopicKey } from '@drm/protocol';
import { mergeAgentStates, mergeJobState } from './live-state.js';
import type { LiveFrameHandler } from './live-client.js';

type Snapshot = Extract<LiveServerMessage, { type: 'subscribed' }>['snapshot'];

export interface TopicEntry {
  topic: LiveTopic;
  handlers: Set<LiveFrameHandler>;
  /** The hub's snapshot kept current with later updates, for a handler that joins late. */
  snapshot?: Snapshot;
}

/**
 * The topics a server frame concerns, as `liveTopicKey` strings. The hub sends each frame once
 * per connection whatever number of subscribed topics it matches, so the client fans it out.
 */
export function topicKeysOf(frame: LiveServerMessage): string[] {
  switch (frame.type) {
    case 'subscribed':
    case 'unsubscribed':
      return [liveTopicKey(frame.topic)];
    case 'error':
      return frame.topic ? [liveTopicKey(frame.topic)] : [];
    case 'job.progress': {
      const { tenantId, progress } = frame;
      return [`job:${tenantId}:${progress.jobId}`, `device:${tenantId}:${progress.deviceId}`];
    }
    case 'job.updated': {
      const { tenantId, jobId, targets } = frame.job;
      const devices = targets.map((t) => `device:${tenantId}:${t.deviceId}`);
      return [`job:${tenantId}:${jobId}`, `tenant:${tenantId}`, ...new Set(devices)];
    }
    case 'agent.updated':
      return [`agents:${frame.agent.tenantId}`, `tenant:${frame.agent.tenantId}`];
    case 'samples':
      return [...new Set(frame.samples.map((s) => `device:${s.tenantId}:${s.deviceId}`))];
    case 'trap': {
      const { tenantId, deviceId } = frame.trap;
      return deviceId ? [`tenant:${tenantId}`, `device:${tenantId}:${deviceId}`] : [`tenant:${tenantId}`];
    }
    default:
      return [];
  }
}

/** Keeps a topic's snapshot current with the updates that follow it. */
export function keepSnapshot(entry: TopicEntry, frame: LiveServerMessage): void {
  const { snapshot } = entry;
  if (frame.type === 'subscribed') entry.snapshot = frame.snapshot;
  else if (
    frame.type === 'job.updated' &&
    entry.topic.kind === 'job' &&
    snapshot &&
    !Array.isArray(snapshot)
  ) {
    entry.snapshot = mergeJobState(snapshot, frame.job);
  } else if (frame.type === 'agent.updated' && entry.topic.kind === 'agents' && Array.isArray(snapshot)) {
    entry.snapshot = mergeAgentStates(snapshot, frame.agent);
  }
}
