import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  type AgentStatus,
  type AgentToHubChannel,
  type Channel,
  type ChannelMessage,
  parseMessage,
  parseTopic,
  topicFor,
} from '@drm/protocol';
import type { TestHub } from '../../../hub/test/helpers/hub.js';
import type { TestAgent } from '../../../hub/test/helpers/mqtt.js';
import { type Identity, Store } from '../../src/store/index.js';

/**
 * The hub's side of agent tests: an agent's identity in a fresh store, and the embedded
 * broker behind the hub's typed API.
 *
 * The broker lets only agents log in, and the hub's `publish` builds valid envelopes under the
 * size limit: right for the product, but a test of the agent's input handling needs to send
 * what the hub never would. So these helpers reach the hub's aedes instance, which the
 * embedded broker keeps as a private field.
 */

interface BrokerPacket {
  cmd: 'publish';
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
}

interface RawBroker {
  publish(packet: BrokerPacket, callback: (err?: Error) => void): void;
  on(event: 'publish', listener: (packet: BrokerPacket, client: { id: string } | null) => void): unknown;
  off(event: 'publish', listener: (...args: never[]) => void): unknown;
}

function brokerOf(app: FastifyInstance): RawBroker {
  const broker = (app.mqtt as unknown as { broker?: RawBroker }).broker;
  if (!broker || typeof broker.publish !== 'function') {
    throw new Error('these tests need the embedded broker (no MQTT_URL)');
  }
  return broker;
}

/** Publishes `payload` as is on one of the agent's channels, QoS 1, as the hub would. */
export function publishRaw(
  app: FastifyInstance,
  agent: Pick<TestAgent, 'tenantId' | 'agentId'>,
  channel: Channel,
  payload: Buffer | string,
): Promise<void> {
  const topic = topicFor(agent.tenantId, agent.agentId, channel);
  return new Promise((resolve, reject) =>
    brokerOf(app).publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );
}

/** Collects every message the agent publishes on `channel` (a last will included) until `stop()`. */
export function watch<C extends AgentToHubChannel>(
  app: FastifyInstance,
  agent: Pick<TestAgent, 'tenantId' | 'agentId'>,
  channel: C,
) {
  const seen: ChannelMessage<C>[] = [];
  const sizes: number[] = [];
  const broker = brokerOf(app);
  const listener = (packet: BrokerPacket) => {
    const parsed = parseTopic(packet.topic);
    if (parsed?.agentId !== agent.agentId || parsed.channel !== channel) return;
    const message = parseMessage(channel, packet.payload);
    if (!message.ok) throw new Error(`the agent sent an invalid ${channel} message: ${message.error}`);
    seen.push(message.message);
    sizes.push(Buffer.byteLength(packet.payload));
  };
  broker.on('publish', listener);
  return { seen, sizes, stop: () => broker.off('publish', listener as (...args: never[]) => void) };
}

/** Collects the bodies of every `status` the agent publishes (its last will included). */
export function watchStatuses(app: FastifyInstance, agent: Pick<TestAgent, 'tenantId' | 'agentId'>) {
  const w = watch(app, agent, 'status');
  return {
    get seen(): AgentStatus[] {
      return w.seen.map((m) => m.body);
    },
    stop: w.stop,
  };
}

/**
 * A device of the agent's site, assigned to the agent, with a v2c community credential.
 * Defaults point at nothing (TEST-NET-1); give a simulator's address and port to poll it.
 */
export async function addDevice(
  hub: TestHub,
  agent: TestAgent,
  opts: { address?: string; port?: number; community?: string; name?: string } = {},
): Promise<string> {
  const cred = await hub.call(agent.admin.token, 'POST', `${agent.base}/credentials`, {
    name: `community-${randomUUID().slice(0, 6)}`,
    kind: 'snmp-community',
    version: '2c',
    community: opts.community ?? 'public',
  });
  if (cred.statusCode !== 201) throw new Error(`credential: ${cred.statusCode} ${cred.body}`);
  const device = await hub.call(agent.admin.token, 'POST', `${agent.base}/devices`, {
    siteId: agent.siteId,
    agentId: agent.agentId,
    name: opts.name ?? `device-${randomUUID().slice(0, 6)}`,
    address: opts.address ?? '192.0.2.10',
    snmp: { version: '2c', port: opts.port ?? 161, credentialId: cred.json().id },
  });
  if (device.statusCode !== 201) throw new Error(`device: ${device.statusCode} ${device.body}`);
  return device.json().id as string;
}

/** The identity `drm-agent enroll` would store for an agent enrolled through the API. */
export function identityOf(agent: TestAgent, mqttUrl: string): Identity {
  return {
    agentId: agent.agentId,
    tenantId: agent.tenantId,
    siteId: agent.siteId,
    name: 'edge-test',
    hubUrl: 'http://127.0.0.1:1',
    mqtt: { url: mqttUrl, username: agent.username, password: agent.password },
    enrolledAt: new Date().toISOString(),
  };
}

const dirs: string[] = [];

/** A store in a fresh temp folder holding the agent's identity; `removeStores()` deletes them. */
export function enrolledStore(agent: TestAgent, mqttUrl: string): Store {
  const dir = join(mkdtempSync(join(tmpdir(), 'drm-agent-link-')), 'data');
  dirs.push(dir);
  const store = Store.open(dir);
  store.identity.set(identityOf(agent, mqttUrl));
  return store;
}

export function removeStores(): void {
  for (const dir of dirs.splice(0)) rmSync(join(dir, '..'), { recursive: true, force: true });
}
