import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_TO_HUB, type AgentToHubChannel, MAX_MESSAGE_BYTES } from '@drm/protocol';
import { gate } from '../helpers/gate.js';
import { MAX_HANDLING_BYTES_PER_AGENT, MAX_HANDLING_PER_AGENT } from '../../src/mqtt/inbound.js';
import type { InboundContext } from '../../src/mqtt/types.js';
import {
  closedWithin,
  connectAgent,
  createMqttTestHub,
  enrollAgent,
  type MqttTestHub,
  metricValue,
  type TestAgent,
  topicOf,
  until,
} from '../helpers/mqtt.js';

// Every message from an agent is validated before a handler sees it; anything else is counted
// and dropped, and neither a bad message nor a failing handler stops the hub.

interface Seen {
  channel: AgentToHubChannel;
  body: unknown;
  ctx: InboundContext;
}

let hub: MqttTestHub;
const seen: Seen[] = [];
/** config-ack messages with `error: 'hold'` wait in their handler until `holding` opens. */
let held = 0;
let holding = gate();
const clients: MqttClient[] = [];
const HANDLED = AGENT_TO_HUB.filter((c) => c !== 'status'); // status belongs to presence

const fixture = (dir: 'valid' | 'invalid', name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../protocol/test/fixtures/${dir}/${name}.json`, import.meta.url), 'utf8'),
  );

const VALID: Record<AgentToHubChannel, string> = {
  status: 'status-online',
  progress: 'progress-started',
  results: 'results-snmp-get',
  events: 'events-trap-v2c',
  receipts: 'receipts-stored',
  'config-ack': 'config-ack-ok',
};
const WRONG_SCHEMA: Record<AgentToHubChannel, string> = {
  status: 'status-bad-state',
  progress: 'progress-bad-state',
  results: 'results-bad-result-id',
  events: 'events-bad-pdu',
  receipts: 'receipts-duplicate-ids',
  'config-ack': 'config-ack-negative-revision',
};

/** A valid message of the channel as `agent` would send it (status names its own agent). */
function validFor(agent: TestAgent, channel: AgentToHubChannel, patch: Record<string, unknown> = {}): string {
  const message = fixture('valid', VALID[channel]);
  if (channel === 'status') message.body.agentId = agent.agentId;
  Object.assign(message.body, patch);
  return JSON.stringify(message);
}

beforeAll(async () => {
  hub = await createMqttTestHub();
  for (const channel of HANDLED) {
    hub.app.mqtt.handle(channel, async (message, ctx) => {
      const body = message.body as Record<string, unknown>;
      // config-ack doubles as the failing handler: `error` picks how it fails.
      if (channel === 'config-ack' && body.error === 'throw') throw new Error('handler bug');
      if (channel === 'config-ack' && body.error === 'reject') await Promise.reject(new Error('async bug'));
      if (channel === 'config-ack' && body.error === 'hold') {
        held += 1;
        await holding.opened;
        held -= 1;
        return;
      }
      seen.push({ channel, body, ctx });
    });
  }
});
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
});
afterAll(async () => {
  await hub?.close();
});

async function connect(agent: TestAgent): Promise<MqttClient> {
  const client = await connectAgent(hub.url, agent);
  clients.push(client);
  return client;
}

const invalidCount = (channel: string, reason: string) =>
  metricValue(hub, 'drm_hub_mqtt_invalid_messages_total', { channel, reason });

describe('valid messages', () => {
  it.each(HANDLED)('%s reaches its handler with the sender and the hub’s receive time', async (channel) => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    const before = await metricValue(hub, 'drm_hub_mqtt_messages_total', { channel });
    const t0 = Date.now();
    await client.publishAsync(topicOf(agent, channel), validFor(agent, channel), { qos: 1 });
    const got = await until(() => seen.find((s) => s.ctx.agentId === agent.agentId));
    expect(got).toBeDefined();
    expect(got!.channel).toBe(channel);
    expect(got!.body).toEqual(fixture('valid', VALID[channel]).body);
    expect(got!.ctx.tenantId).toBe(agent.tenantId);
    expect(got!.ctx.receivedAt.getTime()).toBeGreaterThanOrEqual(t0);
    expect(typeof got!.ctx.log.info).toBe('function');
    expect(await metricValue(hub, 'drm_hub_mqtt_messages_total', { channel })).toBe(before + 1);
  });

  it('a refused registration: one handler per channel, and status is presence’s', () => {
    expect(() => hub.app.mqtt.handle('status', async () => undefined)).toThrow(/already registered/);
    expect(() => hub.app.mqtt.handle('results', async () => undefined)).toThrow(/already registered/);
  });
});

describe('invalid messages on every agent-to-hub channel', () => {
  const cases = AGENT_TO_HUB.flatMap((channel) => [
    { channel, what: 'malformed JSON', reason: 'malformed', payload: () => '{"v":1,' },
    { channel, what: 'a JSON array', reason: 'malformed', payload: () => '[1,2]' },
    {
      channel,
      what: 'bytes that are not UTF-8',
      reason: 'malformed',
      payload: () => Buffer.from([0xff, 0xfe, 0x7b]),
    },
    {
      channel,
      what: 'envelope version 2',
      reason: 'version',
      payload: (a: TestAgent) => JSON.stringify({ ...JSON.parse(validFor(a, channel)), v: 2 }),
    },
    {
      channel,
      what: 'the schema’s invalid fixture',
      reason: 'schema',
      payload: () => JSON.stringify(fixture('invalid', WRONG_SCHEMA[channel]).payload),
    },
    {
      channel,
      what: 'another channel’s message type',
      reason: 'schema',
      payload: (a: TestAgent) => validFor(a, channel === 'results' ? 'progress' : 'results'),
    },
  ]);

  it.each(cases)(
    '$channel: $what is dropped and counted as $reason',
    async ({ channel, reason, payload }) => {
      const agent = await enrollAgent(hub);
      const client = await connect(agent);
      const before = await invalidCount(channel, reason);
      await client.publishAsync(topicOf(agent, channel), payload(agent), { qos: 1 });
      expect(await until(async () => (await invalidCount(channel, reason)) === before + 1)).toBe(true);
      expect(seen.filter((s) => s.ctx.agentId === agent.agentId)).toEqual([]);
      // The connection and the hub carry on: the next valid message is handled.
      expect(client.connected).toBe(true);
      await client.publishAsync(topicOf(agent, channel), validFor(agent, channel), { qos: 1 });
      if (channel === 'status') {
        expect(await until(async () => (await agentState(agent)) === 'online')).toBe(true);
      } else {
        expect(await until(() => seen.some((s) => s.ctx.agentId === agent.agentId))).toBe(true);
      }
    },
  );

  it.each(AGENT_TO_HUB)(
    '%s: a payload over MAX_MESSAGE_BYTES closes the connection and is counted',
    async (channel) => {
      const agent = await enrollAgent(hub);
      const client = await connect(agent);
      const before = await invalidCount(channel, 'too-large');
      client.publish(topicOf(agent, channel), Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20), { qos: 1 });
      expect(await closedWithin(client)).toBe(true);
      expect(await invalidCount(channel, 'too-large')).toBe(before + 1);
      expect(seen.filter((s) => s.ctx.agentId === agent.agentId)).toEqual([]);
      const again = await connect(agent);
      expect(again.connected).toBe(true);
      expect((await hub.call(null, 'GET', '/health')).statusCode).toBe(200);
    },
  );

  it('a payload of exactly MAX_MESSAGE_BYTES passes the broker and is judged on content', async () => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    const before = await invalidCount('results', 'malformed');
    await client.publishAsync(topicOf(agent, 'results'), Buffer.alloc(MAX_MESSAGE_BYTES, 0x20), { qos: 1 });
    expect(await until(async () => (await invalidCount('results', 'malformed')) === before + 1)).toBe(true);
    expect(client.connected).toBe(true);
  });

  it('a status naming another agent in its body is dropped as an identity mismatch', async () => {
    const a = await enrollAgent(hub);
    const b = await enrollAgent(hub, a);
    const client = await connect(a);
    const before = await invalidCount('status', 'identity');
    const forged = JSON.parse(validFor(a, 'status'));
    forged.body.agentId = b.agentId;
    await client.publishAsync(topicOf(a, 'status'), JSON.stringify(forged), { qos: 1 });
    expect(await until(async () => (await invalidCount('status', 'identity')) === before + 1)).toBe(true);
    expect(await agentState(a)).toBe('never');
    expect(await agentState(b)).toBe('never');
  });
});

describe('failing handlers', () => {
  it.each(['throw', 'reject'])('a handler that %ss is counted; the next message is handled', async (how) => {
    const agent = await enrollAgent(hub);
    const client = await connect(agent);
    const before = await metricValue(hub, 'drm_hub_mqtt_handler_errors_total', { channel: 'config-ack' });
    await client.publishAsync(
      topicOf(agent, 'config-ack'),
      validFor(agent, 'config-ack', { ok: false, error: how }),
      {
        qos: 1,
      },
    );
    expect(
      await until(
        async () =>
          (await metricValue(hub, 'drm_hub_mqtt_handler_errors_total', { channel: 'config-ack' })) ===
          before + 1,
      ),
    ).toBe(true);
    await client.publishAsync(topicOf(agent, 'config-ack'), validFor(agent, 'config-ack'), { qos: 1 });
    expect(await until(() => seen.some((s) => s.ctx.agentId === agent.agentId))).toBe(true);
    expect(client.connected).toBe(true);
  });
});

describe('a flood from one agent', () => {
  it(`handles at most ${MAX_HANDLING_PER_AGENT} of one agent's messages at once, drops and counts the rest, and serves the others`, async () => {
    const flooder = await enrollAgent(hub);
    const other = await enrollAgent(hub, flooder);
    const client = await connect(flooder);
    const busyBefore = await invalidCount('config-ack', 'busy');
    const hold = validFor(flooder, 'config-ack', { ok: false, error: 'hold' });
    for (let i = 0; i < MAX_HANDLING_PER_AGENT + 20; i++)
      client.publish(topicOf(flooder, 'config-ack'), hold, { qos: 0 });
    expect(await until(async () => (await invalidCount('config-ack', 'busy')) === busyBefore + 20)).toBe(
      true,
    );
    expect(held).toBe(MAX_HANDLING_PER_AGENT);
    // Another agent of the same tenant is not held up.
    const otherClient = await connect(other);
    await otherClient.publishAsync(topicOf(other, 'config-ack'), validFor(other, 'config-ack'), { qos: 1 });
    expect(await until(() => seen.some((s) => s.ctx.agentId === other.agentId))).toBe(true);
    // Once its handlers finish, the flooder's next message is handled again.
    holding.open();
    expect(await until(() => held === 0)).toBe(true);
    holding = gate();
    await client.publishAsync(topicOf(flooder, 'config-ack'), validFor(flooder, 'config-ack'), { qos: 1 });
    expect(await until(() => seen.some((s) => s.ctx.agentId === flooder.agentId))).toBe(true);
    expect(client.connected).toBe(true);
  });
});

describe('a flood of big messages from one agent', () => {
  it(`holds at most ${MAX_HANDLING_BYTES_PER_AGENT} bytes of one agent's payloads in handlers`, async () => {
    const flooder = await enrollAgent(hub);
    const client = await connect(flooder);
    const busyBefore = await invalidCount('config-ack', 'busy');
    // Valid (the unknown key is stripped), and near the message limit.
    const big = validFor(flooder, 'config-ack', { ok: false, error: 'hold', pad: 'p'.repeat(250_000) });
    const sent = 140;
    for (let i = 0; i < sent; i++) client.publish(topicOf(flooder, 'config-ack'), big, { qos: 0 });
    const room = Math.floor(MAX_HANDLING_BYTES_PER_AGENT / Buffer.byteLength(big));
    expect(
      await until(async () => (await invalidCount('config-ack', 'busy')) === busyBefore + sent - room),
    ).toBe(true);
    expect(held).toBe(room);
    holding.open();
    expect(await until(() => held === 0)).toBe(true);
    holding = gate();
  });
});

async function agentState(agent: TestAgent): Promise<string> {
  const res = await hub.call(agent.admin.token, 'GET', `${agent.base}/agents/${agent.agentId}`);
  return res.json().state;
}
