import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, messageFor } from '@drm/protocol';
import type { AgentIdentity } from '../../src/mqtt/types.js';
import {
  connectAgent,
  createMqttTestHub,
  enrollAgent,
  type MqttTestHub,
  statusPayload,
  subackCodes,
  type TestAgent,
  topicOf,
  until,
} from '../helpers/mqtt.js';

// Presence: what `status` messages, last wills and dropped connections do to the agents table.

let hub: MqttTestHub;
const clients: MqttClient[] = [];
const disconnected: AgentIdentity[] = [];

beforeAll(async () => {
  hub = await createMqttTestHub();
  hub.app.mqtt.onAgentDisconnected((agent) => {
    disconnected.push(agent);
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

async function agentDto(agent: TestAgent): Promise<Agent> {
  const res = await hub.call(agent.admin.token, 'GET', `${agent.base}/agents/${agent.agentId}`);
  expect(res.statusCode).toBe(200);
  return Agent.parse(res.json());
}

async function stateOf(agent: TestAgent): Promise<string> {
  return (await agentDto(agent)).state;
}

async function eventKinds(agent: TestAgent): Promise<string[]> {
  const res = await hub.call(agent.admin.token, 'GET', `${agent.base}/events?agentId=${agent.agentId}`);
  expect(res.statusCode).toBe(200);
  return (res.json().items as { kind: string }[]).map((e) => e.kind).reverse();
}

async function ackedRevision(agent: TestAgent): Promise<number> {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{ r: string }>('SELECT acked_config_revision::text AS r FROM agents WHERE id = $1', [
      agent.agentId,
    ]),
  );
  return Number(rows[0]!.r);
}

function willOf(agent: TestAgent) {
  return {
    topic: topicOf(agent, 'status'),
    payload: Buffer.from(statusPayload(agent, 'offline')),
    qos: 1 as const,
    retain: true,
  };
}

describe('status messages', () => {
  it('online: state, hub receive time as last seen, version, outbox and held config revision', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    const oldestAt = '2030-01-01T00:00:00.000Z';
    // The agent's clock says 2001: last seen must still be the hub's time.
    const message = messageFor(
      'status',
      {
        agentId: agent.agentId,
        state: 'online',
        version: '2.0.1',
        startedAt: '2001-01-01T00:00:00.000Z',
        configRevision: 7,
        outbox: { count: 3, bytes: 1200, oldestAt, dropped: 1 },
      },
      { now: new Date('2001-01-01T00:00:00Z') },
    );
    const before = Date.now();
    await client.publishAsync(topicOf(agent, 'status'), JSON.stringify(message), { qos: 1, retain: true });
    await until(async () => (await stateOf(agent)) === 'online');
    const dto = await agentDto(agent);
    expect(dto).toMatchObject({
      state: 'online',
      version: '2.0.1',
      outbox: { count: 3, bytes: 1200, oldestAt, dropped: 1 },
    });
    const seen = Date.parse(dto.lastSeenAt!);
    expect(seen).toBeGreaterThanOrEqual(before - 5);
    expect(seen).toBeLessThanOrEqual(Date.now());
    expect(await ackedRevision(agent)).toBe(7);
    expect(await eventKinds(agent)).toEqual(['agent.enrolled', 'agent.online']);
    // A lower held revision does not lower what was acked (config sync pushes on connect).
    await client.publishAsync(
      topicOf(agent, 'status'),
      statusPayload(agent, 'online', { configRevision: 3 }),
      {
        qos: 1,
      },
    );
    expect(await until(async () => (await agentDto(agent)).version === '1.2.3')).toBe(true);
    expect(await ackedRevision(agent)).toBe(7);
  });

  it('offline published on a clean stop: offline, one event per transition', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), { qos: 1 });
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), { qos: 1 });
    await until(async () => (await stateOf(agent)) === 'online');
    await client.publishAsync(
      topicOf(agent, 'status'),
      statusPayload(agent, 'offline', { configRevision: 9 }),
      {
        qos: 1,
      },
    );
    await client.endAsync();
    await until(async () => (await stateOf(agent)) === 'offline');
    await new Promise((r) => setTimeout(r, 100));
    expect(await eventKinds(agent)).toEqual(['agent.enrolled', 'agent.online', 'agent.offline']);
    // An offline status may be a will composed at connect time: its revision is not taken;
    // -1 (holds none) from the online ones leaves the default.
    expect(await ackedRevision(agent)).toBe(0);
  });

  it('keeps outbox figures when a status carries none', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    const outbox = { count: 5, bytes: 50, dropped: 0 };
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online', { outbox }), {
      qos: 1,
    });
    await until(async () => (await agentDto(agent)).outbox?.count === 5);
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'offline'), { qos: 1 });
    await until(async () => (await stateOf(agent)) === 'offline');
    expect((await agentDto(agent)).outbox).toEqual(outbox);
  });
});

describe('connections that end', () => {
  it('an abrupt drop fires the last will: offline, and only one offline event', async () => {
    const agent = await enrollAgent(hub);
    // The will's outbox figures show that the will itself was handled, not only the drop.
    const outbox = { count: 42, bytes: 4200, dropped: 0 };
    const will = { ...willOf(agent), payload: Buffer.from(statusPayload(agent, 'offline', { outbox })) };
    const client = await connect(agent, { will });
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), { qos: 1 });
    await until(async () => (await stateOf(agent)) === 'online');
    client.stream.destroy();
    expect(await until(async () => (await agentDto(agent)).outbox?.count === 42)).toBe(true);
    expect(await stateOf(agent)).toBe('offline');
    await new Promise((r) => setTimeout(r, 150));
    expect(await eventKinds(agent)).toEqual(['agent.enrolled', 'agent.online', 'agent.offline']);
    expect(disconnected).toContainEqual({ tenantId: agent.tenantId, agentId: agent.agentId });
  });

  it('a connection closed without an offline status or a will still marks the agent offline', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), { qos: 1 });
    await until(async () => (await stateOf(agent)) === 'online');
    const seenOnline = (await agentDto(agent)).lastSeenAt!;
    await client.endAsync();
    expect(await until(async () => (await stateOf(agent)) === 'offline')).toBe(true);
    expect(Date.parse((await agentDto(agent)).lastSeenAt!)).toBeGreaterThanOrEqual(Date.parse(seenOnline));
  });

  it('a revoked agent is dropped and shown revoked', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent, { will: willOf(agent) });
    await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), { qos: 1 });
    await until(async () => (await stateOf(agent)) === 'online');
    await hub.call(agent.admin.token, 'POST', `${agent.base}/agents/${agent.agentId}/revoke`);
    await until(() => !client.connected);
    expect(await stateOf(agent)).toBe('revoked');
    // Presence underneath the revocation: the will (or the dropped connection) says offline.
    expect(await until(async () => (await rawState(agent)) === 'offline')).toBe(true);
  });

  it('a new connection that replaces the old one (same client id) leaves the agent online', async () => {
    const agent = await enrollAgent(hub);
    const first = await connect(agent, { will: willOf(agent) });
    await first.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), { qos: 1 });
    await until(async () => (await stateOf(agent)) === 'online');
    const second = await connect(agent, { will: willOf(agent) });
    await subackCodes(second, [topicOf(agent, 'jobs')]);
    await second.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await stateOf(agent)).toBe('online');
    expect(second.connected).toBe(true);
  });
});

describe('last seen', () => {
  it('any message from the agent moves last_seen_at, even before its first status', async () => {
    const agent = await enrollAgent(hub);
    expect((await agentDto(agent)).lastSeenAt).toBeNull();
    const client = await connect(agent);
    const receipt = messageFor('receipts', { jobIds: [randomUUID()] });
    await client.publishAsync(topicOf(agent, 'receipts'), JSON.stringify(receipt), { qos: 1 });
    expect(await until(async () => (await agentDto(agent)).lastSeenAt !== null)).toBe(true);
    expect(await stateOf(agent)).toBe('never');
  });
});

async function rawState(agent: TestAgent): Promise<string | undefined> {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{ state: string }>('SELECT state FROM agents WHERE id = $1', [agent.agentId]),
  );
  return rows[0]?.state;
}
