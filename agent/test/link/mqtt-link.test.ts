import { createRequire } from 'node:module';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStatus, type ChannelMessage, messageFor, uuidv7 } from '@drm/protocol';
import { createTestHub, type TestHub } from '../../../hub/test/helpers/hub.js';
import { enrollAgent, type TestAgent, until } from '../../../hub/test/helpers/mqtt.js';
import { INVALID_INBOUND_KEY, LinkDownError, MqttLink, OutboundMessageError } from '../../src/link/index.js';
import type { Store } from '../../src/store/index.js';
import { enrolledStore, publishRaw, removeStores, watchStatuses } from './hub-side.js';

/**
 * The MQTT link against a real hub (embedded aedes broker, PGlite or PostgreSQL) on loopback,
 * with an agent enrolled through the API.
 */

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let hub: TestHub;
let url: string;
const links: MqttLink[] = [];
const stores: Store[] = [];

beforeAll(async () => {
  hub = await createTestHub();
  url = `mqtt://127.0.0.1:${hub.app.mqtt.port}`;
});

afterEach(async () => {
  for (const link of links.splice(0)) await link.stop();
  for (const store of stores.splice(0)) store.close();
});

afterAll(async () => {
  await hub?.close();
  removeStores();
});

function statusOf(agent: TestAgent, state: AgentStatus['state']): AgentStatus {
  return {
    agentId: agent.agentId,
    state,
    version: '9.9.9',
    startedAt: new Date().toISOString(),
    configRevision: -1,
  };
}

interface Harness {
  agent: TestAgent;
  store: Store;
  link: MqttLink;
  received: { [C in 'jobs' | 'config' | 'ack' | 'cancel']: ChannelMessage<C>[] };
  connects: number;
}

/** An enrolled agent with a link whose on-connect step publishes `online`, as the heartbeat does. */
async function harness(): Promise<Harness> {
  const agent = await enrollAgent(hub);
  const store = enrolledStore(agent, url);
  stores.push(store);
  const link = new MqttLink({
    identity: store.identity.get()!,
    meta: store.meta,
    log,
    lastWill: () => statusOf(agent, 'offline'),
    offlineStatus: () => statusOf(agent, 'offline'),
    backoff: { initialMs: 50, maxMs: 200 },
  });
  links.push(link);
  const h: Harness = {
    agent,
    store,
    link,
    received: { jobs: [], config: [], ack: [], cancel: [] },
    connects: 0,
  };
  link.on('jobs', (m) => void h.received.jobs.push(m));
  link.on('config', (m) => void h.received.config.push(m));
  link.on('ack', (m) => void h.received.ack.push(m));
  link.on('cancel', (m) => void h.received.cancel.push(m));
  link.onConnected(async () => {
    h.connects += 1;
    await link.publish('status', statusOf(agent, 'online'));
  });
  return h;
}

async function agentState(h: Harness): Promise<string> {
  const res = await hub.call(h.agent.admin.token, 'GET', `${h.agent.base}/agents/${h.agent.agentId}`);
  return res.json().state;
}

describe('MqttLink', () => {
  it('connects, subscribes, announces itself online, and records the link in the store', async () => {
    const h = await harness();
    expect(h.store.meta.link()).toBeNull();
    await h.link.start();
    expect(await until(() => h.link.connected, 5_000)).toBe(true);
    // The hub pushes the desired state once the agent's subscriptions exist.
    expect(await until(() => h.received.config.length > 0, 5_000)).toBe(true);
    expect(await until(async () => (await agentState(h)) === 'online', 5_000)).toBe(true);
    expect(h.store.meta.link()?.state).toBe('connected');
    expect(h.store.meta.lastContactAt()).not.toBeNull();
  });

  it('keeps connecting and receiving when the store cannot record the link (a full disk)', async () => {
    const agent = await enrollAgent(hub);
    const store = enrolledStore(agent, url);
    stores.push(store);
    const full = () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const received: unknown[] = [];
    const link = new MqttLink({
      identity: store.identity.get()!,
      meta: { setLink: full, recordContact: full, set: (...args) => store.meta.set(...args) },
      log,
      lastWill: () => statusOf(agent, 'offline'),
      offlineStatus: () => statusOf(agent, 'offline'),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    links.push(link);
    link.on('config', (m) => void received.push(m));
    await link.start();
    expect(await until(() => link.connected, 5_000)).toBe(true);
    // The hub's config push reaches the handler (the contact it records fails first).
    expect(await until(() => received.length > 0, 5_000)).toBe(true);
    hub.app.mqtt.disconnectAgent(agent.tenantId, agent.agentId);
    expect(await until(() => !link.connected, 5_000)).toBe(true);
  });

  it("writes packets without filling mqtt-packet's cache of all 65,536 two-byte numbers", async () => {
    // ~6.5 MB of heap held for good, in a process whose idle target is 80 MB RSS.
    const numbers = createRequire(import.meta.url)('mqtt-packet/numbers') as { cache: object };
    const h = await harness();
    await h.link.start();
    await until(() => h.link.connected, 5_000);
    await h.link.publish('receipts', { jobIds: [uuidv7()] });
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  });

  it('publishes only what the protocol accepts, and refuses to publish while offline', async () => {
    const h = await harness();
    const body = { jobIds: [uuidv7()] };
    await expect(h.link.publish('receipts', body)).rejects.toBeInstanceOf(LinkDownError);
    await h.link.start();
    await until(() => h.link.connected, 5_000);
    const sent = await h.link.publish('receipts', body);
    expect(sent.type).toBe('job.receipt');
    await expect(h.link.publish('receipts', { jobIds: [] })).rejects.toBeInstanceOf(OutboundMessageError);
    await expect(
      h.link.publish('results', { items: [{ kind: 'sample', id: 'not-a-uuid' } as never] }),
    ).rejects.toBeInstanceOf(OutboundMessageError);
    expect(h.link.connected).toBe(true);
  });

  it('drops, counts and logs invalid messages on every inbound channel, and keeps working', async () => {
    const h = await harness();
    await h.link.start();
    await until(() => h.link.connected, 5_000);
    await until(() => h.received.config.length > 0, 5_000);
    const configs = h.received.config.length;
    const bad: [Parameters<typeof publishRaw>[2], string | Buffer][] = [
      ['jobs', 'not json {'],
      ['config', JSON.stringify({ v: 2, id: uuidv7(), type: 'config.sync', ts: new Date().toISOString() })],
      ['ack', JSON.stringify(messageFor('ack', { committed: ['nope'] } as never))],
      ['cancel', Buffer.alloc(300 * 1024, 0x7b)],
      ['jobs', Buffer.from([0xff, 0xfe, 0x00])],
      ['config', JSON.stringify([1, 2, 3])],
    ];
    for (const [channel, payload] of bad) await publishRaw(hub.app, h.agent, channel, payload);
    expect(await until(() => h.link.invalidMessages.total === bad.length, 5_000)).toBe(true);
    expect(h.link.invalidMessages).toEqual({
      total: 6,
      byChannel: { jobs: 2, config: 2, ack: 1, cancel: 1 },
      byReason: { malformed: 3, version: 1, schema: 1, 'too-large': 1 },
    });
    expect(JSON.parse(h.store.meta.get(INVALID_INBOUND_KEY) ?? '{}').total).toBe(6);
    expect(h.received.jobs).toHaveLength(0);
    expect(h.received.ack).toHaveLength(0);
    expect(h.received.cancel).toHaveLength(0);
    expect(h.received.config).toHaveLength(configs);

    // Still connected, and a valid message after them is handled.
    const ack = { committed: [uuidv7()] };
    await publishRaw(hub.app, h.agent, 'ack', JSON.stringify(messageFor('ack', ack)));
    expect(await until(() => h.received.ack.length === 1, 5_000)).toBe(true);
    expect(h.received.ack[0]?.body).toEqual(ack);
    expect(h.link.connected).toBe(true);
  });

  it('reconnects on its own after the broker drops it, with its last will sent meanwhile', async () => {
    const h = await harness();
    const statuses = watchStatuses(hub.app, h.agent);
    try {
      await h.link.start();
      await until(() => statuses.seen.length === 1, 5_000);
      hub.app.mqtt.disconnectAgent(h.agent.tenantId, h.agent.agentId);
      expect(await until(() => h.connects === 2, 5_000)).toBe(true);
      expect(h.link.connected).toBe(true);
      expect(h.store.meta.link()?.state).toBe('connected');
      // online, the will (offline) on the drop, online again.
      expect(await until(() => statuses.seen.length >= 3, 5_000)).toBe(true);
      expect(statuses.seen.slice(0, 3).map((s) => s.state)).toEqual(['online', 'offline', 'online']);
      expect(await until(async () => (await agentState(h)) === 'online', 5_000)).toBe(true);
    } finally {
      statuses.stop();
    }
  });

  it('stops cleanly: a retained offline status, then a DISCONNECT that discards the will', async () => {
    const h = await harness();
    const statuses = watchStatuses(hub.app, h.agent);
    try {
      await h.link.start();
      await until(() => statuses.seen.length === 1, 5_000);
      await until(async () => (await agentState(h)) === 'online', 5_000);
      const stopping = h.link.stop();
      // A heartbeat that fires while the link stops sends nothing after the offline status.
      await expect(h.link.publish('status', statusOf(h.agent, 'online'))).rejects.toBeInstanceOf(
        LinkDownError,
      );
      await stopping;
      expect(h.link.connected).toBe(false);
      expect(h.store.meta.link()?.state).toBe('disconnected');
      expect(await until(async () => (await agentState(h)) === 'offline', 5_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(statuses.seen.map((s) => s.state)).toEqual(['online', 'offline']);
      await h.link.stop(); // idempotent
    } finally {
      statuses.stop();
    }
  });

  it.each([
    ['unreachable', 'mqtt://127.0.0.1:1', undefined, /connect ECONNREFUSED/],
    ['refusing the login', 'hub', 'wrong-password', /^Connection refused: Bad username or password/i],
  ])('keeps retrying while the hub is %s, and never throws', async (_what, target, password, reason) => {
    const h = await harness();
    const store = enrolledStore(h.agent, target === 'hub' ? url : target);
    stores.push(store);
    const identity = store.identity.get()!;
    const lines: { reason?: string; attempt?: number }[] = [];
    const capture = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const link = new MqttLink({
      identity: password ? { ...identity, mqtt: { ...identity.mqtt, password } } : identity,
      meta: store.meta,
      log: capture,
      lastWill: () => statusOf(h.agent, 'offline'),
      offlineStatus: () => statusOf(h.agent, 'offline'),
      backoff: { initialMs: 20, maxMs: 40 },
    });
    links.push(link);
    await link.start();
    expect(await until(() => lines.filter((l) => l.attempt !== undefined).length >= 3, 5_000)).toBe(true);
    expect(link.connected).toBe(false);
    expect(store.meta.link()?.state).toBe('disconnected');
    expect(lines.find((l) => l.attempt !== undefined)?.reason).toMatch(reason);
    await link.stop();
  });
});
