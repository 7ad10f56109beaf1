import type { BaseLogger } from 'pino';
import type { Registry } from 'prom-client';
import type { Db } from '../db/types.js';
import type { LiveNotifier } from '../live/notifier.js';
import { configAckHandler } from './handlers/config-ack.js';
import type { ProgressListener } from './handlers/deps.js';
import { eventsHandler } from './handlers/events.js';
import { progressHandler } from './handlers/progress.js';
import { receiptsHandler } from './handlers/receipts.js';
import { resultsHandler } from './handlers/results.js';
import { ingestMetrics } from './ingest/metrics.js';
import type { MqttHub } from './types.js';

export type { ProgressListener } from './handlers/deps.js';

export interface IngestionDeps {
  db: Db;
  log: Pick<BaseLogger, 'info' | 'warn' | 'error'>;
  /** Where the ingestion counters go (the app's `/metrics` registry); none when absent. */
  metrics?: Registry | undefined;
  /** Live fan-out of progress events, called after the target was checked against the agent. */
  onProgress?: ProgressListener | undefined;
  /** Live views, told of committed changes (job and target statuses, samples, traps). */
  live?:
    | Pick<LiveNotifier, 'jobChanged' | 'samplesStored' | 'trapStored' | 'agentChanged' | 'progressStored'>
    | undefined;
  /** Re-pushes an agent's config, for an agent found holding a revision above the hub's. */
  pushConfig?: ((tenantId: string, agentId: string) => Promise<void>) | undefined;
  /** Ends the credential rotation whose new password the agent acknowledged holding. */
  finishRotation?: ((tenantId: string, agentId: string, rotationId: string) => Promise<void>) | undefined;
}

/**
 * Registers the handlers of what agents send, except `status` (presence is the broker's):
 * `results` (stored, then acked), `receipts`, `progress`, `events` (traps) and `config-ack`.
 */
export function registerIngestion(mqtt: Pick<MqttHub, 'handle' | 'publish'>, deps: IngestionDeps): void {
  const shared = {
    db: deps.db,
    mqtt,
    metrics: ingestMetrics(deps.metrics),
    onProgress: deps.onProgress,
    live: deps.live,
    pushConfig: deps.pushConfig,
    finishRotation: deps.finishRotation,
  };
  mqtt.handle('results', resultsHandler(shared));
  mqtt.handle('receipts', receiptsHandler(shared));
  mqtt.handle('progress', progressHandler(shared));
  mqtt.handle('events', eventsHandler(shared));
  mqtt.handle('config-ack', configAckHandler(shared));
  deps.log.info('MQTT ingestion handlers registered');
}
