import pino from 'pino';
import type { JobCancel } from '@drm/protocol';
import type { TestHub } from '../../../hub/test/helpers/hub.js';
import { enrollAgent, type TestAgent } from '../../../hub/test/helpers/mqtt.js';
import { Heartbeat } from '../../src/components/heartbeat.js';
import { JobIntake } from '../../src/components/job-intake.js';
import { OutboxDrain, type OutboxDrainOptions } from '../../src/components/outbox-drain.js';
import { MqttLink } from '../../src/link/index.js';
import type { Store } from '../../src/store/index.js';
import { enrolledStore } from './hub-side.js';

export const testLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * The agent's MQTT side as the composition root wires it (link, heartbeat, intake, drain) on a
 * real store, for an agent enrolled through the API. The executor's and scheduler's places are
 * taken by the calls recorded in `calls`: these tests are about what crosses the link.
 */
export interface Runtime {
  agent: TestAgent;
  store: Store;
  link: MqttLink;
  heartbeat: Heartbeat;
  intake: JobIntake;
  drain: OutboxDrain;
  calls: { jobs: number; cancels: JobCancel[]; configs: number };
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  agent?: TestAgent;
  drain?: Partial<Omit<OutboxDrainOptions, 'link' | 'store' | 'log'>>;
  heartbeatMs?: number;
}

export async function runtime(hub: TestHub, url: string, opts: RuntimeOptions = {}): Promise<Runtime> {
  const agent = opts.agent ?? (await enrollAgent(hub));
  const store = enrolledStore(agent, url);
  const identity = store.identity.get()!;
  const calls: Runtime['calls'] = { jobs: 0, cancels: [], configs: 0 };
  const log = testLog;
  let heartbeat: Heartbeat | undefined;
  const link = new MqttLink({
    identity,
    meta: store.meta,
    log,
    lastWill: () => heartbeat!.lastWill(),
    offlineStatus: () => heartbeat!.status('offline'),
    backoff: { initialMs: 50, maxMs: 500 },
  });
  heartbeat = new Heartbeat({
    link,
    store,
    agentId: identity.agentId,
    version: '0.0.0-test',
    startedAt: new Date(),
    log,
    ...(opts.heartbeatMs && { intervalMs: opts.heartbeatMs }),
  });
  const intake = new JobIntake({
    link,
    store,
    tenantId: identity.tenantId,
    log,
    onJobs: () => void calls.jobs++,
    onCancel: (cancel) => void calls.cancels.push(cancel),
    onConfig: () => void calls.configs++,
  });
  const drain = new OutboxDrain({ link, store, log, ...opts.drain });
  const components = [heartbeat, intake, drain, link];
  let stopped = false;
  return {
    agent,
    store,
    link,
    heartbeat,
    intake,
    drain,
    calls,
    async start() {
      for (const c of components) await c.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const c of [...components].reverse()) await c.stop();
      store.close();
    },
  };
}
