import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type AgentStatus, EnrollResponse, messageFor, topicFor } from '@drm/protocol';
import type { BrokerPluginOptions } from '../../src/plugins/broker.js';
import { createTestHub, type TestHub, type TestUser } from './hub.js';

/**
 * A hub with its MQTT side running, for tests over real MQTT on loopback. Built like
 * createTestHub, plus the broker plugin (port 0 on 127.0.0.1, or an external broker's `url`).
 */
export interface MqttTestHub extends TestHub {
  /** `mqtt://127.0.0.1:{port}` of the embedded broker, or the external broker's URL. */
  url: string;
}

export interface MqttTestHubOptions {
  broker?: BrokerPluginOptions;
  /** Runs after the broker plugin is registered and before the app is ready. */
  beforeReady?: (app: FastifyInstance) => void | Promise<void>;
}

export async function createMqttTestHub(opts: MqttTestHubOptions = {}): Promise<MqttTestHub> {
  const hub = await createTestHub(
    {},
    {
      broker: { host: '127.0.0.1', port: 0, ...opts.broker },
      // These tests exercise the broker layer alone and register their own channel handlers.
      agentLink: false,
      ...(opts.beforeReady && { beforeReady: opts.beforeReady }),
    },
  );
  return { ...hub, url: opts.broker?.url ?? `mqtt://127.0.0.1:${hub.app.mqtt.port}` };
}

/** An agent enrolled through the API, with the admin of its tenant. */
export interface TestAgent {
  tenantId: string;
  agentId: string;
  siteId: string;
  username: string;
  password: string;
  admin: TestUser;
  /** `/api/v1/tenants/{tenantId}` */
  base: string;
}

let tenantSeq = 0;

/** Enrolls an agent (in a new tenant unless `into` names an existing agent's tenant). */
export async function enrollAgent(hub: TestHub, into?: TestAgent): Promise<TestAgent> {
  let tenantId = into?.tenantId;
  let admin = into?.admin;
  let siteId = into?.siteId;
  if (!tenantId || !admin || !siteId) {
    tenantSeq += 1;
    tenantId = await hub.tenant(`MQTT tenant ${tenantSeq}`);
    admin = await hub.user({ [tenantId]: 'admin' });
    const site = await hub.call(admin.token, 'POST', `/api/v1/tenants/${tenantId}/sites`, { name: 'Site' });
    if (site.statusCode !== 201) throw new Error(`site: ${site.statusCode} ${site.body}`);
    siteId = site.json().id as string;
  }
  const base = `/api/v1/tenants/${tenantId}`;
  const tok = await hub.call(admin.token, 'POST', `${base}/enrollment-tokens`, { siteId, ttlMinutes: 60 });
  if (tok.statusCode !== 201) throw new Error(`enrollment token: ${tok.statusCode} ${tok.body}`);
  const res = await hub.call(null, 'POST', '/api/v1/agents/enroll', {
    token: tok.json().token,
    name: `edge-${randomUUID().slice(0, 6)}`,
    version: '1.0.0',
  });
  if (res.statusCode !== 201) throw new Error(`enroll: ${res.statusCode} ${res.body}`);
  const e = EnrollResponse.parse(res.json());
  return {
    tenantId: e.tenantId,
    agentId: e.agentId,
    siteId: e.siteId,
    username: e.mqtt.username,
    password: e.mqtt.password,
    admin,
    base,
  };
}

/** MQTT 3.1.1 client options of an agent: its id as client id, no automatic reconnection. */
export function agentOptions(agent: TestAgent | null, extra: IClientOptions = {}): IClientOptions {
  return {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...(agent && { clientId: agent.agentId, username: agent.username, password: agent.password }),
    ...extra,
  };
}

export function connectAgent(
  url: string,
  agent: TestAgent | null,
  extra: IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(url, agentOptions(agent, extra));
}

/** The CONNACK return code a connection attempt gets (0 when accepted; the client is then closed). */
export async function connackCode(url: string, options: IClientOptions): Promise<number> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options,
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('packetreceive', (packet) => {
        if (packet.cmd === 'connack') resolve(packet.returnCode ?? -1);
      });
      client.once('close', () => setTimeout(() => reject(new Error('closed without CONNACK')), 50));
    });
  } finally {
    client.end(true);
  }
}

/** The return codes of one SUBSCRIBE's SUBACK, in filter order (0x80 = refused). */
export function subackCodes(client: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve) => {
    const onPacket = (packet: { cmd: string; granted?: unknown }) => {
      if (packet.cmd !== 'suback') return;
      client.off('packetreceive', onPacket);
      resolve(packet.granted as number[]);
    };
    client.on('packetreceive', onPacket);
    client.subscribe(filters, { qos: 1 }, () => undefined);
  });
}

/** Resolves true when the broker closes the client's connection within `ms`. */
export function closedWithin(client: MqttClient, ms = 3_000): Promise<boolean> {
  if (!client.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** An agent's status envelope, as JSON text. */
export function statusPayload(
  agent: TestAgent,
  state: 'online' | 'offline',
  body: Partial<AgentStatus> = {},
) {
  return JSON.stringify(
    messageFor('status', {
      agentId: agent.agentId,
      state,
      version: '1.2.3',
      startedAt: new Date().toISOString(),
      configRevision: -1,
      ...body,
    }),
  );
}

export function topicOf(agent: TestAgent, channel: Parameters<typeof topicFor>[2]): string {
  return topicFor(agent.tenantId, agent.agentId, channel);
}

/** The value of one Prometheus series from GET /metrics (0 when absent). */
export async function metricValue(
  hub: TestHub,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = (await hub.call(null, 'GET', '/metrics')).body;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split(' ')[0] ?? '';
    if (want.every((w) => labelText.includes(w))) return Number(line.split(' ').pop());
  }
  return 0;
}

/** Polls `fn` until it returns a truthy value or `ms` passes; then returns its last value. */
export async function until<T>(fn: () => Promise<T> | T, ms = 3_000, every = 25): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, every));
  }
}
