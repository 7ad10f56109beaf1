import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '@drm/protocol';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { enrollAgent, type TestAgent } from '../helpers/mqtt.js';
import {
  addDevice,
  agentOnline,
  bearer,
  createJob,
  LiveTestClient,
  listen,
  progress,
  publish,
} from './support.js';

/**
 * Events from a real MQTT agent reach the WebSocket clients that subscribed to them, and no
 * one else: progress, job and target status changes (dispatch, results), agent presence,
 * samples and traps.
 */

let hub: TestHub;
let wsUrl: string;
let agent: TestAgent;
let other: TestAgent;
let deviceId: string;
let mqttClient: MqttClient;
const clients: LiveTestClient[] = [];

async function connect(token: string): Promise<LiveTestClient> {
  const c = await LiveTestClient.connect(wsUrl, bearer(token));
  clients.push(c);
  await c.waitFor('hello');
  return c;
}

async function subscribed(token: string, topic: unknown): Promise<LiveTestClient> {
  const c = await connect(token);
  expect((await c.subscribe(topic)).type).toBe('subscribed');
  return c;
}

/** Lets in-flight frames arrive before a test asserts that something did not. */
const settle = () => new Promise((r) => setTimeout(r, 300));

beforeAll(async () => {
  hub = await createTestHub();
  agent = await enrollAgent(hub);
  other = await enrollAgent(hub);
  deviceId = await addDevice(hub, agent);
  ({ ws: wsUrl } = await listen(hub));
  mqttClient = await agentOnline(`mqtt://127.0.0.1:${hub.app.mqtt.port}`, agent);
}, 240_000);

afterAll(async () => {
  for (const c of clients) c.close();
  mqttClient?.end(true);
  await hub?.close();
});

describe('jobs', () => {
  it('sends progress to the job’s and the device’s subscribers only, then the result’s update', async () => {
    const jobId = await createJob(hub, agent, [deviceId]);
    const watcher = await subscribed(agent.admin.token, { kind: 'job', tenantId: agent.tenantId, jobId });
    const deviceWatcher = await subscribed(agent.admin.token, {
      kind: 'device',
      tenantId: agent.tenantId,
      deviceId,
    });
    const tenantWatcher = await subscribed(agent.admin.token, { kind: 'tenant', tenantId: agent.tenantId });
    const bystander = await connect(agent.admin.token);
    const otherJob = await createJob(hub, agent, [deviceId]);
    const elsewhere = await subscribed(agent.admin.token, {
      kind: 'job',
      tenantId: agent.tenantId,
      jobId: otherJob,
    });
    const outsider = await subscribed(other.admin.token, { kind: 'tenant', tenantId: other.tenantId });

    await publish(mqttClient, agent, 'receipts', { jobIds: [jobId] });
    await publish(mqttClient, agent, 'progress', progress(jobId, deviceId, 0, 'started'));
    const running = await watcher.waitFor('job.updated', (f) => f.job.status === 'running');
    expect(running.job.targets).toEqual([expect.objectContaining({ deviceId, status: 'running' })]);
    await publish(mqttClient, agent, 'progress', progress(jobId, deviceId, 42));
    const p = await watcher.waitFor('job.progress', (f) => f.progress.counts.varbinds === 42);
    expect(p).toMatchObject({ tenantId: agent.tenantId, progress: { jobId, deviceId, state: 'varbinds' } });
    await deviceWatcher.waitFor('job.progress', (f) => f.progress.counts.varbinds === 42);

    const now = new Date().toISOString();
    const result = { kind: 'result' as const, id: uuidv7(), jobId, deviceId, status: 'succeeded' as const };
    await publish(mqttClient, agent, 'results', {
      items: [{ ...result, startedAt: now, finishedAt: now, varbinds: [] }],
    });
    const done = await watcher.waitFor('job.updated', (f) => f.job.status === 'succeeded');
    expect(done.job).toMatchObject({
      jobId,
      progress: { done: 1, total: 1 },
      finishedAt: expect.any(String),
    });
    expect(done.job.targets).toEqual([expect.objectContaining({ deviceId, status: 'succeeded' })]);
    await tenantWatcher.waitFor('job.updated', (f) => f.job.jobId === jobId && f.job.status === 'succeeded');
    await deviceWatcher.waitFor('job.updated', (f) => f.job.jobId === jobId && f.job.status === 'succeeded');

    await settle();
    expect(bystander.frames.map((f) => f.type)).toEqual(['hello']);
    expect(
      elsewhere.frames.filter((f) => f.type.startsWith('job.') && JSON.stringify(f).includes(jobId)),
    ).toEqual([]);
    expect(outsider.frames.filter((f) => f.type !== 'hello' && f.type !== 'subscribed')).toEqual([]);
  });

  it('stops sending after unsubscribe', async () => {
    const jobId = await createJob(hub, agent, [deviceId]);
    const topic = { kind: 'job', tenantId: agent.tenantId, jobId };
    const c = await subscribed(agent.admin.token, topic);
    c.send({ type: 'unsubscribe', ref: 'u', topic });
    await c.waitFor('unsubscribed');
    await publish(mqttClient, agent, 'progress', progress(jobId, deviceId, 7, 'started'));
    await publish(mqttClient, agent, 'progress', progress(jobId, deviceId, 8));
    await settle();
    expect(c.of('job.progress')).toEqual([]);
    expect(c.of('job.updated')).toEqual([]);
  });

  it('tells of a cancel through the job routes', async () => {
    const offline = await enrollAgent(hub, agent);
    const device = await addDevice(hub, offline, 'edge-router');
    const jobId = await createJob(hub, agent, [device]);
    const c = await subscribed(agent.admin.token, { kind: 'job', tenantId: agent.tenantId, jobId });
    const res = await hub.call(agent.admin.token, 'POST', `${agent.base}/jobs/${jobId}/cancel`);
    expect(res.statusCode).toBe(202);
    const update = await c.waitFor('job.updated', (f) => f.job.status === 'cancelled');
    expect(update.job.targets).toEqual([expect.objectContaining({ deviceId: device, status: 'cancelled' })]);
  });
});

describe('agents, samples, traps', () => {
  it('sends agent.updated on a status message to the agents and tenant topics', async () => {
    const agents = await subscribed(agent.admin.token, { kind: 'agents', tenantId: agent.tenantId });
    const outsider = await subscribed(other.admin.token, { kind: 'agents', tenantId: other.tenantId });
    await publish(mqttClient, agent, 'status', {
      agentId: agent.agentId,
      state: 'online',
      version: '1.2.4',
      startedAt: new Date().toISOString(),
      configRevision: -1,
      outbox: { count: 7, bytes: 700, dropped: 0 },
    });
    const update = await agents.waitFor('agent.updated', (f) => f.agent.outbox?.count === 7);
    expect(update.agent).toMatchObject({ agentId: agent.agentId, state: 'online', version: '1.2.4' });
    await settle();
    expect(outsider.of('agent.updated')).toEqual([]);
  });

  it('sends agent.updated when an admin renames or revokes an agent that is not connected', async () => {
    const offline = await enrollAgent(hub, agent);
    const agents = await subscribed(agent.admin.token, { kind: 'agents', tenantId: agent.tenantId });
    const renamed = await hub.call(agent.admin.token, 'PATCH', `${agent.base}/agents/${offline.agentId}`, {
      name: 'edge-renamed',
    });
    expect(renamed.statusCode).toBe(200);
    await agents.waitFor(
      'agent.updated',
      (f) => f.agent.agentId === offline.agentId && f.agent.name === 'edge-renamed',
    );
    const revoked = await hub.call(
      agent.admin.token,
      'POST',
      `${agent.base}/agents/${offline.agentId}/revoke`,
    );
    expect(revoked.statusCode).toBe(200);
    await agents.waitFor(
      'agent.updated',
      (f) => f.agent.agentId === offline.agentId && f.agent.state === 'revoked',
    );
  });

  it('sends one samples frame per device per ingest to the device’s subscribers', async () => {
    const c = await subscribed(agent.admin.token, { kind: 'device', tenantId: agent.tenantId, deviceId });
    const scheduleId = '0b3f8a56-3c51-4bb0-8d4f-9c2c6e1d4a10';
    const ts = new Date().toISOString();
    const sample = (oid: string, valueNum: number) => ({
      kind: 'sample' as const,
      id: uuidv7(),
      scheduleId,
      deviceId,
      ts,
      oid,
      type: 'Counter32' as const,
      valueNum,
    });
    await publish(mqttClient, agent, 'results', {
      items: [sample('1.3.6.1.2.1.2.2.1.10.1', 100), sample('1.3.6.1.2.1.2.2.1.16.1', 200)],
    });
    const frame = await c.waitFor('samples');
    expect(frame.samples.map((s) => [s.oid, s.valueNum])).toEqual([
      ['1.3.6.1.2.1.2.2.1.10.1', 100],
      ['1.3.6.1.2.1.2.2.1.16.1', 200],
    ]);
    expect(frame.samples[0]).toMatchObject({ tenantId: agent.tenantId, deviceId, scheduleId });
    await settle();
    expect(c.of('samples')).toHaveLength(1);
  });

  it('sends a stored trap to the tenant topic', async () => {
    const c = await subscribed(agent.admin.token, { kind: 'tenant', tenantId: agent.tenantId });
    const outsider = await subscribed(other.admin.token, { kind: 'tenant', tenantId: other.tenantId });
    const id = uuidv7();
    await publish(mqttClient, agent, 'events', {
      id,
      receivedAt: new Date().toISOString(),
      source: { address: '192.0.2.10', port: 49152 },
      version: '2c',
      pdu: 'trap',
      trapOid: '1.3.6.1.6.3.1.1.5.3',
      deviceId,
      varbinds: [],
    });
    const frame = await c.waitFor('trap', (f) => f.trap.id === id);
    expect(frame.trap).toMatchObject({ agentId: agent.agentId, deviceId, trapOid: '1.3.6.1.6.3.1.1.5.3' });
    expect(frame.trap.source).toBe('192.0.2.10:49152');
    await settle();
    expect(outsider.of('trap')).toEqual([]);
  });
});
