import { readFileSync } from 'node:fs';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelBody, ChannelMessages, parseMessage } from '@drm/protocol';
import { MAX_PACKET_AFTER_CONNECT, MAX_PACKET_BEFORE_CONNECT } from '../../src/mqtt/packet-limit.js';
import type { AgentIdentity } from '../../src/mqtt/types.js';
import {
  agentOptions,
  closedWithin,
  connackCode,
  connectAgent,
  createMqttTestHub,
  enrollAgent,
  type MqttTestHub,
  metricValue,
  subackCodes,
  type TestAgent,
  topicOf,
  until,
} from '../helpers/mqtt.js';

// The embedded broker's gate: who may connect, subscribe and publish, and the hub's own publish.

let hub: MqttTestHub;
const connected: AgentIdentity[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  hub = await createMqttTestHub();
  hub.app.mqtt.onAgentConnected((agent) => {
    connected.push(agent);
  });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
});
afterAll(async () => {
  await hub?.close();
});

async function connect(agent: TestAgent, extra = {}): Promise<MqttClient> {
  const client = await connectAgent(hub.url, agent, extra);
  clients.push(client);
  return client;
}

const jobsFixture = JSON.parse(
  readFileSync(new URL('../../../protocol/test/fixtures/valid/jobs-snmp-walk.json', import.meta.url), 'utf8'),
);

function jobFor(agent: TestAgent): ChannelBody<'jobs'> {
  return { ...ChannelMessages.jobs.parse(jobsFixture).body, tenantId: agent.tenantId };
}

describe('authentication', () => {
  it('accepts the credentials an agent got at enrollment', async () => {
    const agent = await enrollAgent(hub);
    expect(await connackCode(hub.url, { clientId: agent.agentId, ...creds(agent) })).toBe(0);
    const client = await connect(agent);
    expect(client.connected).toBe(true);
  });

  it.each([
    [
      'a wrong password',
      4,
      (a: TestAgent) => ({ clientId: a.agentId, username: a.username, password: 'agent_wrong' }),
    ],
    [
      'an unknown user name',
      4,
      (a: TestAgent) => ({ clientId: a.agentId, username: `agent-${randomUUID()}`, password: a.password }),
    ],
    ['no credentials', 4, (a: TestAgent) => ({ clientId: a.agentId })],
    ['a user name without password', 4, (a: TestAgent) => ({ clientId: a.agentId, username: a.username })],
    ['another agent’s client id', 2, (a: TestAgent, b: TestAgent) => ({ ...creds(a), clientId: b.agentId })],
    [
      'a last will on another agent’s status',
      5,
      (a: TestAgent, b: TestAgent) => ({
        ...creds(a),
        clientId: a.agentId,
        will: will(topicOf(b, 'status')),
      }),
    ],
    [
      'a last will on its own results',
      5,
      (a: TestAgent) => ({ ...creds(a), clientId: a.agentId, will: will(topicOf(a, 'results')) }),
    ],
  ])('refuses %s with CONNACK %i', async (_what, code, options) => {
    const a = await enrollAgent(hub);
    const b = await enrollAgent(hub, a);
    expect(await connackCode(hub.url, options(a, b))).toBe(code);
  });

  it('accepts a client id made of the agent id and a suffix, and a last will on its own status', async () => {
    const agent = await enrollAgent(hub);
    const code = await connackCode(hub.url, {
      ...creds(agent),
      clientId: `${agent.agentId}-probe`,
      will: will(topicOf(agent, 'status')),
    });
    expect(code).toBe(0);
  });

  it('counts refused connections by reason', async () => {
    const agent = await enrollAgent(hub);
    const before = await metricValue(hub, 'drm_hub_mqtt_denied_total', {
      operation: 'connect',
      reason: 'bad-credentials',
    });
    await connackCode(hub.url, { clientId: agent.agentId, username: agent.username, password: 'nope' });
    expect(
      await metricValue(hub, 'drm_hub_mqtt_denied_total', {
        operation: 'connect',
        reason: 'bad-credentials',
      }),
    ).toBe(before + 1);
  });
});

describe('login throttle', () => {
  /** A CONNECT from `localAddress`, written by hand; resolves with the CONNACK return code. */
  function rawConnack(localAddress: string, agent: TestAgent, password: string): Promise<number> {
    const { username } = agent;
    const clientId = `${agent.agentId}-${randomUUID().slice(0, 8)}`;
    const field = (s: string) => {
      const b = Buffer.from(s);
      return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
    };
    const body = Buffer.concat([
      field('MQTT'),
      Buffer.from([4, 0xc2, 0, 0]), // level 4; user name, password, clean session; no keep-alive
      field(clientId),
      field(username),
      field(password),
    ]);
    // The remaining length as MQTT's variable-length integer (two bytes at most here).
    const length = body.length < 128 ? [body.length] : [(body.length & 127) | 128, body.length >> 7];
    const packet = Buffer.concat([Buffer.from([0x10, ...length]), body]);
    return new Promise<number>((resolve, reject) => {
      const socket = net.connect({ port: hub.app.mqtt.port!, host: '127.0.0.1', localAddress });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed without CONNACK')));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d[0] === 0x20 ? d[3]! : -1);
      });
      socket.write(packet);
    });
  }

  it('refuses logins from an address at once after 30 wrong passwords in a minute, the right one included', async () => {
    const agent = await enrollAgent(hub);
    const throttled = () =>
      metricValue(hub, 'drm_hub_mqtt_denied_total', { operation: 'connect', reason: 'throttled' });
    const before = await throttled();
    expect(await rawConnack('127.0.0.9', agent, agent.password)).toBe(0);
    // Sent at once, as a flood would: the ones past the bound are not even checked.
    const burst = await Promise.all(
      Array.from({ length: 40 }, () => rawConnack('127.0.0.9', agent, 'wrong')),
    );
    expect(burst.filter((code) => code === 4)).toHaveLength(30);
    expect(burst.filter((code) => code === 3)).toHaveLength(10);
    // Server unavailable: come back later.
    expect(await rawConnack('127.0.0.9', agent, agent.password)).toBe(3);
    expect(await throttled()).toBe(before + 11);
    // Another address is not held up.
    expect(await rawConnack('127.0.0.10', agent, agent.password)).toBe(0);
  });
});

describe('subscriptions', () => {
  it('grants an agent its own four hub-to-agent topics', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    const own = (['jobs', 'config', 'ack', 'cancel'] as const).map((c) => topicOf(agent, c));
    expect(await subackCodes(client, own)).toEqual([1, 1, 1, 1]);
  });

  it.each([
    ['another agent’s jobs in its tenant', (_a: TestAgent, b: TestAgent) => topicOf(b, 'jobs')],
    ['another tenant’s agent’s jobs', (_a: TestAgent, _b: TestAgent, c: TestAgent) => topicOf(c, 'jobs')],
    ['drm/#', () => 'drm/#'],
    ['#', () => '#'],
    ['its tenant’s jobs by wildcard', (a: TestAgent) => `drm/v1/${a.tenantId}/+/jobs`],
    ['its own topics by wildcard', (a: TestAgent) => `drm/v1/${a.tenantId}/${a.agentId}/#`],
    ['its own status (an agent-to-hub channel)', (a: TestAgent) => topicOf(a, 'status')],
    ['every agent’s results', () => 'drm/v1/+/+/results'],
    ['$SYS/#', () => '$SYS/#'],
  ])('refuses %s with SUBACK 0x80 and keeps the connection', async (_what, filter) => {
    const a = await enrollAgent(hub);
    const b = await enrollAgent(hub, a);
    const c = await enrollAgent(hub);
    const client = await connect(a);
    expect(await subackCodes(client, [filter(a, b, c), topicOf(a, 'jobs')])).toEqual([0x80, 1]);
    expect(client.connected).toBe(true);
  });

  it('delivers nothing of another agent through a refused filter', async () => {
    const a = await enrollAgent(hub);
    const b = await enrollAgent(hub, a);
    const spy = await connect(a);
    const received: string[] = [];
    spy.on('message', (topic) => received.push(topic));
    await subackCodes(spy, ['#', topicOf(b, 'jobs')]);
    await hub.app.mqtt.publish(b.tenantId, b.agentId, 'jobs', jobFor(b));
    await new Promise((r) => setTimeout(r, 150));
    expect(received).toEqual([]);
  });
});

describe('publishing', () => {
  it.each([
    ['another agent’s results', (_a: TestAgent, b: TestAgent) => topicOf(b, 'results'), false],
    [
      'another tenant’s results',
      (_a: TestAgent, _b: TestAgent, c: TestAgent) => topicOf(c, 'results'),
      false,
    ],
    ['its own jobs (a hub-to-agent channel)', (a: TestAgent) => topicOf(a, 'jobs'), false],
    ['a retained message on its own results', (a: TestAgent) => topicOf(a, 'results'), true],
    ['a topic outside drm/', () => 'devices/x', false],
  ])('closes the connection of an agent that publishes to %s', async (_what, topic, retain) => {
    const a = await enrollAgent(hub);
    const b = await enrollAgent(hub, a);
    const c = await enrollAgent(hub);
    const client = await connect(a);
    client.publish(topic(a, b, c), '{}', { qos: 1, retain });
    expect(await closedWithin(client)).toBe(true);
  });

  it('lets an agent retain its own status', async () => {
    const a = await enrollAgent(hub);
    const client = await connect(a);
    await client.publishAsync(topicOf(a, 'status'), '{}', { qos: 1, retain: true });
    expect(await closedWithin(client, 200)).toBe(false);
  });

  it('does not deliver a refused publish to the agent it targeted', async () => {
    const a = await enrollAgent(hub);
    const b = await enrollAgent(hub, a);
    const victim = await connect(b);
    await subackCodes(victim, [topicOf(b, 'jobs')]);
    const received: string[] = [];
    victim.on('message', (topic) => received.push(topic));
    const attacker = await connect(a);
    attacker.publish(topicOf(b, 'jobs'), JSON.stringify({ forged: true }), { qos: 1 });
    expect(await closedWithin(attacker)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([]);
  });
});

describe('packet size bound', () => {
  const tooLarge = (operation: string) =>
    metricValue(hub, 'drm_hub_mqtt_denied_total', { operation, reason: 'packet-too-large' });

  it('closes a connection whose CONNECT claims more than a CONNECT needs, before holding it', async () => {
    const before = await tooLarge('connect');
    const socket = net.connect(hub.app.mqtt.port!, '127.0.0.1');
    socket.on('error', () => {}); // the hub closes it while we write
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // CONNECT with the largest remaining length MQTT can encode (268,435,455 bytes), then filler.
    socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    socket.write(Buffer.alloc(MAX_PACKET_BEFORE_CONNECT * 4));
    await closed;
    expect(await tooLarge('connect')).toBe(before + 1);
  });

  it('still reads a CONNECT within the bound', async () => {
    const agent = await enrollAgent(hub);
    const code = await connackCode(hub.url, {
      clientId: agent.agentId,
      username: agent.username,
      password: agent.password,
      will: {
        topic: topicOf(agent, 'status'),
        payload: Buffer.from('x'.repeat(8 * 1024)),
        qos: 1,
        retain: true,
      },
    });
    expect(code).toBe(0);
  });

  it('holds an agent to the bound of an authenticated connection while its session is replayed', async () => {
    const agent = await enrollAgent(hub);
    const first = await connectAgent(hub.url, agent, { clean: false });
    await subackCodes(first, [topicOf(agent, 'ack')]);
    await first.endAsync();
    await new Promise((r) => setTimeout(r, 100));
    // Messages waiting in its session: the broker sends them before it counts the client as
    // connected.
    for (let i = 0; i < 50; i++) {
      await hub.app.mqtt.publish(agent.tenantId, agent.agentId, 'ack', { committed: [randomUUID()] });
    }
    const before = await tooLarge('connect');
    const again = await connect(agent, { clean: false });
    await subackCodes(again, [topicOf(agent, 'ack')]);
    // 100 KB: past the bound before authentication, well within the one after.
    await again.publishAsync(topicOf(agent, 'events'), Buffer.alloc(100_000, 0x20), { qos: 1 });
    expect(await closedWithin(again, 300)).toBe(false);
    expect(await tooLarge('connect')).toBe(before);
  });

  it('closes an agent connection at a publish past the bound, and counts it', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    const before = await tooLarge('publish');
    client.publish(topicOf(agent, 'results'), Buffer.alloc(MAX_PACKET_AFTER_CONNECT + 1, 0x20), { qos: 1 });
    expect(await closedWithin(client)).toBe(true);
    expect(await tooLarge('publish')).toBe(before + 1);
  });
});

describe('hub to agent', () => {
  it('publishes a valid envelope, QoS 1, to the subscribed agent only', async () => {
    const a = await enrollAgent(hub);
    const b = await enrollAgent(hub, a);
    const ca = await connect(a);
    const cb = await connect(b);
    await subackCodes(ca, [topicOf(a, 'ack')]);
    await subackCodes(cb, [topicOf(b, 'ack')]);
    const got: { topic: string; payload: Buffer; qos: number; retain: boolean }[] = [];
    const others: string[] = [];
    ca.on('message', (topic, payload, packet) =>
      got.push({ topic, payload, qos: packet.qos, retain: packet.retain }),
    );
    cb.on('message', (topic) => others.push(topic));
    const body = { committed: [randomUUID()] };
    await hub.app.mqtt.publish(a.tenantId, a.agentId, 'ack', body);
    await until(() => got.length > 0);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ topic: topicOf(a, 'ack'), qos: 1, retain: false });
    const parsed = parseMessage('ack', got[0]!.payload);
    expect(parsed.ok && parsed.message.body).toEqual(body);
    expect(parsed.ok && parsed.message.type).toBe('result.ack');
    expect(others).toEqual([]);
  });

  it('keeps no config for an agent that is not connected, and keeps its other messages', async () => {
    const a = await enrollAgent(hub);
    const first = await connectAgent(hub.url, a, { clean: false });
    await subackCodes(first, [topicOf(a, 'config'), topicOf(a, 'ack')]);
    await first.endAsync();
    await new Promise((r) => setTimeout(r, 100));
    for (let revision = 1; revision <= 3; revision++) {
      await hub.app.mqtt.publish(a.tenantId, a.agentId, 'config', { revision, devices: [], schedules: [] });
    }
    // An ack (or a cancel) the agent must not miss waits in its session.
    const ack = { committed: [randomUUID()] };
    await hub.app.mqtt.publish(a.tenantId, a.agentId, 'ack', ack);
    const got: string[] = [];
    // Listening before the CONNACK: a stored session's messages follow it at once.
    const again = mqtt.connect(hub.url, agentOptions(a, { clean: false }));
    clients.push(again);
    again.on('message', (topic) => got.push(topic));
    await new Promise((resolve) => again.once('connect', resolve));
    expect(await until(() => got.length === 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual([topicOf(a, 'ack')]);
    // Connected again, it gets its config.
    await hub.app.mqtt.publish(a.tenantId, a.agentId, 'config', { revision: 4, devices: [], schedules: [] });
    expect(await until(() => got.length === 2)).toBe(true);
    expect(got[1]).toBe(topicOf(a, 'config'));
  });

  it('refuses to publish a message over MAX_MESSAGE_BYTES', async () => {
    const a = await enrollAgent(hub);
    const rejected = Array.from({ length: 500 }, () => ({ id: randomUUID(), reason: 'x'.repeat(500) }));
    await expect(
      hub.app.mqtt.publish(a.tenantId, a.agentId, 'ack', { committed: [], rejected }),
    ).rejects.toThrow(/over the 262144-byte limit/);
  });

  it('refuses ids that are not uuids', async () => {
    await expect(hub.app.mqtt.publish('x/+', randomUUID(), 'ack', { committed: [] })).rejects.toThrow(/uuid/);
  });
});

describe('onAgentConnected', () => {
  it('fires once the agent has subscribed to its jobs, so a job sent then is delivered', async () => {
    const agent = await enrollAgent(hub);
    const delivered: unknown[] = [];
    const client = await connect(agent);
    client.on('message', (_t, payload) => delivered.push(JSON.parse(payload.toString())));
    await new Promise((r) => setTimeout(r, 100));
    expect(connected.filter((c) => c.agentId === agent.agentId)).toEqual([]);
    await subackCodes(client, [topicOf(agent, 'jobs')]);
    await until(() => connected.some((c) => c.agentId === agent.agentId));
    expect(connected.filter((c) => c.agentId === agent.agentId)).toEqual([
      { tenantId: agent.tenantId, agentId: agent.agentId },
    ]);
  });

  it('lets a listener re-send jobs that reach the agent', async () => {
    const agent = await enrollAgent(hub);
    const job = jobFor(agent);
    hub.app.mqtt.onAgentConnected(async (who) => {
      if (who.agentId === agent.agentId) await hub.app.mqtt.publish(who.tenantId, who.agentId, 'jobs', job);
    });
    const client = await connect(agent);
    const got: Buffer[] = [];
    client.on('message', (_t, payload) => got.push(payload));
    await subackCodes(client, [topicOf(agent, 'jobs')]);
    await until(() => got.length > 0);
    const parsed = parseMessage('jobs', got[0]!);
    expect(parsed.ok && parsed.message.body.jobId).toBe(job.jobId);
  });

  it('fires for a persistent session whose subscriptions the broker restored', async () => {
    const agent = await enrollAgent(hub);
    const first = await connect(agent, { clean: false });
    await subackCodes(first, [topicOf(agent, 'jobs')]);
    await until(() => connected.some((c) => c.agentId === agent.agentId));
    await first.endAsync();
    const count = () => connected.filter((c) => c.agentId === agent.agentId).length;
    expect(count()).toBe(1);
    const second = await connect(agent, { clean: false });
    expect(second.connected).toBe(true);
    expect(await until(() => count() === 2)).toBe(true);
  });

  it('contains a failing listener', async () => {
    hub.app.mqtt.onAgentConnected(() => {
      throw new Error('listener bug');
    });
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    await subackCodes(client, [topicOf(agent, 'jobs')]);
    await until(() => connected.some((c) => c.agentId === agent.agentId));
    expect(client.connected).toBe(true);
  });
});

describe('revocation and disconnection', () => {
  it('drops a revoked agent at once and refuses it afterwards', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    const res = await hub.call(agent.admin.token, 'POST', `${agent.base}/agents/${agent.agentId}/revoke`);
    expect(res.statusCode).toBe(200);
    expect(await closedWithin(client, 1_000)).toBe(true);
    // The credentials were cached by the first connection: revocation must drop them.
    expect(await connackCode(hub.url, { clientId: agent.agentId, ...creds(agent) })).toBe(5);
  });

  it('disconnectAgent closes every connection of that agent and no other', async () => {
    const a = await enrollAgent(hub);
    const b = await enrollAgent(hub, a);
    const a1 = await connect(a);
    const a2 = await connect(a, { clientId: `${a.agentId}-second` });
    const b1 = await connect(b);
    hub.app.mqtt.disconnectAgent(a.tenantId, a.agentId);
    expect(await closedWithin(a1, 1_000)).toBe(true);
    expect(await closedWithin(a2, 1_000)).toBe(true);
    expect(b1.connected).toBe(true);
  });
});

describe('operations', () => {
  it('reports the broker in /ready and its real port', async () => {
    expect(hub.app.mqtt.port).toBeGreaterThan(0);
    const res = await hub.call(null, 'GET', '/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json().checks.broker).toEqual({ ok: true });
  });
});

function creds(agent: TestAgent) {
  return { username: agent.username, password: agent.password };
}

function will(topic: string) {
  return { topic, payload: Buffer.from('{}'), qos: 1 as const, retain: true };
}
