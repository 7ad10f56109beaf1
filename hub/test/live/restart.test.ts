import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LiveJobState } from '@drm/protocol';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { SecretBox } from '../../src/security/secret-box.js';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { enrollAgent, type TestAgent } from '../helpers/mqtt.js';
import { addDevice, bearer, createJob, LiveTestClient, listen, openSse } from './support.js';

/**
 * Through a hub restart: clients are closed with 1001 (SSE streams end without `end`), the
 * state changes while the hub is down, and a client that reconnects to the new hub on the
 * same database and subscribes again gets a snapshot of the current state.
 */

let hub: TestHub;
let second: FastifyInstance | undefined;
let agent: TestAgent;
let deviceId: string;
let jobId: string;

beforeAll(async () => {
  hub = await createTestHub();
  agent = await enrollAgent(hub);
  deviceId = await addDevice(hub, agent);
  jobId = await createJob(hub, agent, [deviceId]);
}, 240_000);

afterAll(async () => {
  await second?.close();
  await hub?.close();
});

/** What another replica would have stored meanwhile: the target succeeded, and so the job. */
async function finishWhileDown(): Promise<void> {
  await hub.db.asOwner(async (q) => {
    await q.query(
      `UPDATE job_targets SET status = 'succeeded', started_at = now(), finished_at = now()
        WHERE tenant_id = $1 AND job_id = $2`,
      [agent.tenantId, jobId],
    );
    await q.query(
      `UPDATE jobs SET status = 'succeeded', done_targets = 1, started_at = now(), finished_at = now()
        WHERE tenant_id = $1 AND id = $2`,
      [agent.tenantId, jobId],
    );
  });
}

it('closes clients with 1001 on shutdown, and a reconnect resumes from the current state', async () => {
  const first = await listen(hub);
  const topic = { kind: 'job', tenantId: agent.tenantId, jobId };
  const ws = await LiveTestClient.connect(first.ws, bearer(agent.admin.token));
  const before = (await ws.subscribe(topic)) as { snapshot: LiveJobState };
  expect(before.snapshot.status).not.toBe('succeeded');
  const sse = await openSse(first.http, `${agent.base}/jobs/${jobId}/events`, bearer(agent.admin.token));
  await expect.poll(() => sse.events().length).toBe(1);

  await hub.app.close();
  expect((await ws.closed).code).toBe(1001);
  await sse.ended;
  // No `end` event: the job is not finished, and EventSource reconnects after `retry:`.
  expect(sse.events().map((e) => e.event)).toEqual(['snapshot']);

  await finishWhileDown();

  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: '/nonexistent-test-data',
    MQTT_PORT: '0',
    HOST: '127.0.0.1',
  });
  second = await buildApp({
    config,
    db: hub.db,
    logger: pino({ level: 'silent' }),
    secrets: new SecretBox(randomBytes(32), 'test'),
  });
  const address = await second.listen({ port: 0, host: '127.0.0.1' });
  const again = await LiveTestClient.connect(
    `${address.replace(/^http/, 'ws')}/api/v1/live`,
    bearer(agent.admin.token),
  );
  await again.waitFor('hello');
  const after = (await again.subscribe(topic)) as { type: string; snapshot: LiveJobState };
  expect(after.type).toBe('subscribed');
  expect(after.snapshot).toMatchObject({ jobId, status: 'succeeded', progress: { done: 1, total: 1 } });
  expect(after.snapshot.targets).toEqual([expect.objectContaining({ deviceId, status: 'succeeded' })]);

  const resumed = await openSse(address, `${agent.base}/jobs/${jobId}/events`, bearer(agent.admin.token));
  await resumed.ended;
  expect(resumed.events().map((e) => e.event)).toEqual(['snapshot', 'end']);
  expect(resumed.events()[0]?.data).toMatchObject({ status: 'succeeded' });
  again.close();
}, 120_000);
