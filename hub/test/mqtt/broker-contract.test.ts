import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messageFor, parseMessage } from '@drm/protocol';
import type { AgentIdentity, InboundContext } from '../../src/mqtt/types.js';
import {
  connectAgent,
  createMqttTestHub,
  enrollAgent,
  type MqttTestHub,
  metricValue,
  statusPayload,
  subackCodes,
  type TestAgent,
  topicOf,
  until,
} from '../helpers/mqtt.js';

// One contract for both implementations of MqttHub: the embedded broker, and the hub as a
// client of an external broker (the Mosquitto on 127.0.0.1:1883, which allows anonymous
// clients, so agents there connect without credentials: access control is the broker's).
// Each mode builds its own hub.

const EXTERNAL_URL = 'mqtt://127.0.0.1:1883';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 500 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

const mosquitto = await reachable(1883);
// CI provides the broker (.ci/run starts Mosquitto): there a missing peer is a failure, not a skip.
const skipExternal = !mosquitto && process.env.CI !== 'true';

const modes = [
  { name: 'embedded broker', external: false, skip: false },
  {
    name: `external broker${skipExternal ? ' (skipped: no MQTT broker on 127.0.0.1:1883)' : ''}`,
    external: true,
    skip: skipExternal,
  },
];

describe.each(modes)('MqttHub contract: $name', ({ external, skip }) => {
  let hub: MqttTestHub;
  const handled: { body: unknown; ctx: InboundContext }[] = [];
  const connected: AgentIdentity[] = [];
  const clients: MqttClient[] = [];
  const retainedTopics: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    hub = await createMqttTestHub({
      broker: external ? { url: EXTERNAL_URL, shareGroup: `hub-test-${randomUUID().slice(0, 8)}` } : {},
    });
    hub.app.mqtt.handle('results', async (message, ctx) => {
      if (message.body.items.length === 0) throw new Error('unreachable: the schema requires items');
      handled.push({ body: message.body, ctx });
    });
    hub.app.mqtt.handle('receipts', async () => {
      throw new Error('handler bug');
    });
    hub.app.mqtt.onAgentConnected((agent) => {
      connected.push(agent);
    });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });
  afterAll(async () => {
    if (skip) return;
    await hub?.close();
    // Leave no retained status behind on the shared broker.
    if (external && retainedTopics.length > 0) {
      const cleaner = await mqtt.connectAsync(EXTERNAL_URL, { protocolVersion: 4 });
      for (const topic of retainedTopics) await cleaner.publishAsync(topic, '', { qos: 1, retain: true });
      await cleaner.endAsync();
    }
  });

  async function agentClient(agent: TestAgent): Promise<MqttClient> {
    // At the external broker, agents are anonymous here; the embedded one wants credentials.
    const client = external
      ? await connectAgent(EXTERNAL_URL, null, { clientId: agent.agentId })
      : await connectAgent(hub.url, agent);
    clients.push(client);
    return client;
  }

  const results = () =>
    readFileSync(
      new URL('../../../protocol/test/fixtures/valid/results-snmp-get.json', import.meta.url),
      'utf8',
    );

  it.skipIf(skip)('reports its port: a number when embedded, null for an external broker', () => {
    if (external) expect(hub.app.mqtt.port).toBeNull();
    else expect(hub.app.mqtt.port).toBeGreaterThan(0);
  });

  it.skipIf(skip)('is ready', async () => {
    const res = await hub.call(null, 'GET', '/ready');
    expect(res.json().checks.broker).toEqual({ ok: true });
  });

  it.skipIf(skip)('publishes a valid envelope to the agent', async () => {
    const agent = await enrollAgent(hub);
    const client = await agentClient(agent);
    await subackCodes(client, [topicOf(agent, 'cancel')]);
    const got: Buffer[] = [];
    client.on('message', (_t, payload) => got.push(payload));
    const jobId = randomUUID();
    await hub.app.mqtt.publish(agent.tenantId, agent.agentId, 'cancel', { jobId });
    await until(() => got.length > 0);
    const parsed = parseMessage('cancel', got[0]!);
    expect(parsed.ok && parsed.message.body).toEqual({ jobId });
  });

  it.skipIf(skip)('hands a valid message to its handler with the agent from the topic', async () => {
    const agent = await enrollAgent(hub);
    const client = await agentClient(agent);
    await client.publishAsync(topicOf(agent, 'results'), results(), { qos: 1 });
    const got = await until(() => handled.find((h) => h.ctx.agentId === agent.agentId));
    expect(got?.ctx.tenantId).toBe(agent.tenantId);
  });

  it.skipIf(skip)('drops and counts an invalid message, and carries on', async () => {
    const agent = await enrollAgent(hub);
    const client = await agentClient(agent);
    const count = () =>
      metricValue(hub, 'drm_hub_mqtt_invalid_messages_total', { channel: 'results', reason: 'malformed' });
    const before = await count();
    await client.publishAsync(topicOf(agent, 'results'), 'not json', { qos: 1 });
    expect(await until(async () => (await count()) === before + 1)).toBe(true);
    await client.publishAsync(topicOf(agent, 'results'), results(), { qos: 1 });
    expect(await until(() => handled.some((h) => h.ctx.agentId === agent.agentId))).toBe(true);
  });

  it.skipIf(skip)('contains a failing handler', async () => {
    const agent = await enrollAgent(hub);
    const client = await agentClient(agent);
    const count = () => metricValue(hub, 'drm_hub_mqtt_handler_errors_total', { channel: 'receipts' });
    const before = await count();
    const receipt = JSON.stringify(messageFor('receipts', { jobIds: [randomUUID()] }));
    await client.publishAsync(topicOf(agent, 'receipts'), receipt, { qos: 1 });
    expect(await until(async () => (await count()) === before + 1)).toBe(true);
    expect((await hub.call(null, 'GET', '/health')).statusCode).toBe(200);
  });

  it.skipIf(skip)('records presence and announces an agent that subscribed and said online', async () => {
    const agent = await enrollAgent(hub);
    const client = await agentClient(agent);
    await subackCodes(client, [topicOf(agent, 'jobs')]);
    retainedTopics.push(topicOf(agent, 'status'));
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), {
      qos: 1,
      retain: true,
    });
    const state = async () =>
      (await hub.call(agent.admin.token, 'GET', `${agent.base}/agents/${agent.agentId}`)).json().state;
    expect(await until(async () => (await state()) === 'online')).toBe(true);
    expect(await until(() => connected.some((c) => c.agentId === agent.agentId))).toBe(true);
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'offline'), {
      qos: 1,
      retain: true,
    });
    expect(await until(async () => (await state()) === 'offline')).toBe(true);
  });
});
