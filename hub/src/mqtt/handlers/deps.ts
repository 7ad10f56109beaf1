import type { ProgressEvent } from '@drm/protocol';
import type { Db } from '../../db/types.js';
import type { LiveNotifier } from '../../live/notifier.js';
import type { IngestMetrics } from '../ingest/metrics.js';
import type { MqttHub } from '../types.js';

/** Live fan-out of a target's progress, after it was checked against the sending agent. */
export type ProgressListener = (tenantId: string, event: ProgressEvent) => void;

/** What inbound handlers share. */
export interface HandlerDeps {
  db: Db;
  mqtt: Pick<MqttHub, 'publish'>;
  metrics: IngestMetrics;
  onProgress?: ProgressListener | undefined;
  /** Live views, told of committed changes (job and target statuses, samples, traps). */
  live?:
    | Pick<LiveNotifier, 'jobChanged' | 'samplesStored' | 'trapStored' | 'agentChanged' | 'progressStored'>
    | undefined;
  /** Pushes an agent's desired state again (e.g. after its revision had to jump). */
  pushConfig?: ((tenantId: string, agentId: string) => Promise<void>) | undefined;
  /** Ends the credential rotation whose new password the agent acknowledged holding. */
  finishRotation?: ((tenantId: string, agentId: string, rotationId: string) => Promise<void>) | undefined;
}
