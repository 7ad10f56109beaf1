import type { ProgressEvent, SampleRecord } from '@drm/protocol';

/**
 * What the rest of the hub tells the live stream, always after the change is committed.
 * Sources take the part they need (`Pick<LiveNotifier, 'jobChanged'>`) as an optional
 * dependency, so none of them imports the live module and each can be tested without it.
 * Every method returns at once and never throws: the fan-out loads and sends on its own.
 */
export interface LiveNotifier {
  /** A job's status, its done count or one of its targets changed (or the job was created). */
  jobChanged(tenantId: string, jobId: string): void;
  /** A target's progress from its agent, after the target was checked against that agent. */
  progress(tenantId: string, event: ProgressEvent): void;
  /**
   * A progress event that was also stored (a state change, or counts at most once a second per
   * target): relayed to the other replicas' clients, which do not get every event.
   */
  progressStored(tenantId: string, event: ProgressEvent): void;
  /** An agent's presence, version or outbox figures changed. */
  agentChanged(tenantId: string, agentId: string): void;
  /** Poll samples newly stored by one ingest (one frame per device goes out). */
  samplesStored(tenantId: string, samples: readonly SampleRecord[]): void;
  /** A trap or inform newly stored under this event id. */
  trapStored(tenantId: string, eventId: string): void;
}
