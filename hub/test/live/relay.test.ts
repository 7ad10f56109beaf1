import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '@drm/protocol';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { SecretBox } from '../../src/security/secret-box.js';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { enrollAgent, type TestAgent } from '../helpers/mqtt.js';
import { addDevice, agentOnline, bearer, createJob, LiveTestClient, publish } from './support.js';

/**
 * Two hub replicas on one PostgreSQL: what one ingests (results, samples, traps, statuses)
 * reaches the live clients of the other through LISTEN/NOTIFY. PostgreSQL only: the embedded
 * database is one process, with no replicas.
 */

const PG = process.env.TEST_DATABASE_URL;

let a: TestHub;
let b: FastifyInstance;
let bUrl: string;
let agent: TestAgent;
let deviceId: string;
let mqttClient: MqttClient;
const clients: LiveTestClient[] = [];

async function onB(topic: unknown): Promise<LiveTestClient> {
  const c = await LiveTestClient.connect(bUrl, bearer(agent.admin.token));
  clients.push(c);
  expect((await c.subscribe(topic)).type).toBe('subscribed');
  return c;
}

describe.skipIf(!PG)('two replicas on PostgreSQL', () => {
  beforeAll(async () => {
    a = await createTestHub();
    const { rows } = await a.db.asOwner((q) => q.query<{ db: string }>('SELECT current_database() AS db'));
    const url = new URL(PG!);
    url.pathname = `/${rows[0]!.db}`;
    await a.app.live.startRelay(url.toString());
    b = await buildApp({
      config: loadConfig({
        LOG_LEVEL: 'silent',
        DATA_DIR: '/nonexistent-test-data',
        MQTT_PORT: '0',
        HOST: '127.0.0.1',
      }),
      db: a.db,
      logger: pino({ level: 'silent' }),
      secrets: new SecretBox(randomBytes(32), 'test'),
      live: { relayUrl: url.toString() },
    });
    bUrl = `${(await b.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws')}/api/v1/live`;
    agent = await enrollAgent(a);
    deviceId = await addDevice(a, agent);
    // The agent talks to replica A only.
    mqttClient = await agentOnline(`mqtt://127.0.0.1:${a.app.mqtt.port}`, agent);
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    mqttClient?.end(true);
    await b?.close();
    await a?.close();
  });

  it('a result ingested by one replica updates the job on the other’s clients', async () => {
    const jobId = await createJob(a, agent, [deviceId]);
    const c = await onB({ kind: 'job', tenantId: agent.tenantId, jobId });
    const now = new Date().toISOString();
    await publish(mqttClient, agent, 'results', {
      items: [
        {
          kind: 'result',
          id: uuidv7(),
          jobId,
          deviceId,
          status: 'succeeded',
          startedAt: now,
          finishedAt: now,
          varbinds: [],
        },
      ],
    });
    const update = await c.waitFor('job.updated', (f) => f.job.status === 'succeeded');
    expect(update.job.targets).toEqual([expect.objectContaining({ deviceId, status: 'succeeded' })]);
  });

  it('a walk’s progress received by one replica reaches the other’s clients, at the pace it is stored', async () => {
    const jobId = await createJob(a, agent, [deviceId]);
    const c = await onB({ kind: 'job', tenantId: agent.tenantId, jobId });
    const event = (state: 'started' | 'varbinds' | 'done', varbinds: number) =>
      publish(mqttClient, agent, 'progress', { jobId, deviceId, state, counts: { varbinds } });
    await event('started', 0);
    await c.waitFor('job.progress', (f) => f.progress.state === 'started');
    // Mid-walk counts within a second of the last write are sent to A's own clients only.
    for (let n = 1; n <= 5; n += 1) await event('varbinds', n * 100);
    await event('done', 600);
    const done = await c.waitFor('job.progress', (f) => f.progress.state === 'done');
    expect(done.progress).toMatchObject({ jobId, deviceId, counts: { varbinds: 600 } });
    const counts = c.of('job.progress').map((f) => f.progress.counts.varbinds);
    expect(counts.length).toBeLessThan(7);
  });

  it('relays agent statuses, samples and traps', async () => {
    const tenant = await onB({ kind: 'tenant', tenantId: agent.tenantId });
    const device = await onB({ kind: 'device', tenantId: agent.tenantId, deviceId });
    await publish(mqttClient, agent, 'status', {
      agentId: agent.agentId,
      state: 'online',
      version: '9.9.9',
      startedAt: new Date().toISOString(),
      configRevision: -1,
    });
    await tenant.waitFor('agent.updated', (f) => f.agent.version === '9.9.9');
    const ts = new Date().toISOString();
    const samples = Array.from({ length: 80 }, (_, i) => ({
      kind: 'sample' as const,
      id: uuidv7(),
      scheduleId: '0b3f8a56-3c51-4bb0-8d4f-9c2c6e1d4a10',
      deviceId,
      ts,
      oid: `1.3.6.1.2.1.2.2.1.10.${i + 1}`,
      name: `ifInOctets.${i + 1}`,
      type: 'Counter32' as const,
      valueNum: i,
    }));
    await publish(mqttClient, agent, 'results', { items: samples });
    // 80 samples are more than one NOTIFY payload takes: they arrive in parts, all of them.
    await expect
      .poll(() => device.of('samples').flatMap((f) => f.samples).length, { timeout: 5_000 })
      .toBe(80);
    const id = uuidv7();
    await publish(mqttClient, agent, 'events', {
      id,
      receivedAt: ts,
      source: { address: '192.0.2.10', port: 162 },
      version: '2c',
      pdu: 'trap',
      trapOid: '1.3.6.1.6.3.1.1.5.4',
      varbinds: [],
    });
    await tenant.waitFor('trap', (f) => f.trap.id === id);
  });
});
