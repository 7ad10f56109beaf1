import http from 'node:http';
import type { MqttClient } from 'mqtt';
import { expect } from 'vitest';
import WebSocket from 'ws';
import {
  type AgentToHubChannel,
  type ChannelBody,
  LiveServerMessage,
  messageFor,
  type ProgressEvent,
} from '@drm/protocol';
import type { TestHub } from '../helpers/hub.js';
import { connectAgent, statusPayload, type TestAgent, topicOf } from '../helpers/mqtt.js';

/** Listens on a free loopback port; returns the HTTP and WebSocket base URLs. */
export async function listen(hub: TestHub): Promise<{ http: string; ws: string }> {
  const address = await hub.app.listen({ port: 0, host: '127.0.0.1' });
  return { http: address, ws: `${address.replace(/^http/, 'ws')}/api/v1/live` };
}

type Frame = LiveServerMessage;

/** A real `ws` client that validates and keeps every frame the hub sends. */
export class LiveTestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = LiveServerMessage.parse(JSON.parse(String(data)));
      this.frames.push(frame);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<LiveTestClient> {
    const ws = new WebSocket(url, { headers });
    const client = new LiveTestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** The status code of a refused upgrade. */
  static refusal(url: string, headers: Record<string, string> = {}): Promise<number> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('upgrade accepted'));
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        ws.terminate();
      });
      ws.once('error', () => undefined);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (ever received) that matches, waiting up to `ms` for it. */
  async waitFor<T extends Frame['type']>(
    type: T,
    pred: (f: Extract<Frame, { type: T }>) => boolean = () => true,
    ms = 5_000,
  ): Promise<Extract<Frame, { type: T }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(
        (f): f is Extract<Frame, { type: T }> => f.type === type && pred(f as never),
      );
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} frame within ${ms} ms; got ${this.summary()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  of<T extends Frame['type']>(type: T): Extract<Frame, { type: T }>[] {
    return this.frames.filter((f): f is Extract<Frame, { type: T }> => f.type === type);
  }

  /** Subscribes and waits for the answer (`subscribed` or `error`) with the same ref. */
  async subscribe(topic: unknown, ref = `r${Math.random()}`): Promise<Frame> {
    this.send({ type: 'subscribe', ref, topic });
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = this.frames.find((f) => 'ref' in f && f.ref === ref);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no answer to subscribe ${ref}; got ${this.summary()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  summary(): string {
    return this.frames.map((f) => f.type).join(',');
  }

  close(): void {
    this.ws.terminate();
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A device with an SNMP credential on the agent, ready for jobs. */
export async function addDevice(hub: TestHub, agent: TestAgent, name = 'core-switch'): Promise<string> {
  const cred = await hub.call(agent.admin.token, 'POST', `${agent.base}/credentials`, {
    name: `cred-${name}`,
    kind: 'snmp-community',
    version: '2c',
    community: 'lab-community',
  });
  expect(cred.statusCode, cred.body).toBe(201);
  const device = await hub.call(agent.admin.token, 'POST', `${agent.base}/devices`, {
    siteId: agent.siteId,
    agentId: agent.agentId,
    name,
    address: '192.0.2.10',
    snmp: { version: '2c', port: 161, credentialId: cred.json().id },
  });
  expect(device.statusCode, device.body).toBe(201);
  return device.json().id as string;
}

export async function createJob(hub: TestHub, agent: TestAgent, targets: string[]): Promise<string> {
  const res = await hub.call(agent.admin.token, 'POST', `${agent.base}/jobs`, {
    kind: 'snmp.get',
    targets,
    params: { oids: ['1.3.6.1.2.1.1.1.0'] },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().id as string;
}

/** An agent over real MQTT: subscribed to its channels, then `online`. */
export async function agentOnline(url: string, agent: TestAgent): Promise<MqttClient> {
  const client = await connectAgent(url, agent, { clean: true });
  await client.subscribeAsync(
    (['jobs', 'config', 'ack', 'cancel'] as const).map((c) => topicOf(agent, c)),
    { qos: 1 },
  );
  await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), {
    qos: 1,
    retain: true,
  });
  return client;
}

export function publish<C extends AgentToHubChannel>(
  client: MqttClient,
  agent: TestAgent,
  channel: C,
  body: ChannelBody<C>,
): Promise<unknown> {
  return client.publishAsync(topicOf(agent, channel), JSON.stringify(messageFor(channel, body)), { qos: 1 });
}

export const progress = (
  jobId: string,
  deviceId: string,
  varbinds: number,
  state: ProgressEvent['state'] = 'varbinds',
) => ({ jobId, deviceId, state, counts: { varbinds } }) satisfies ProgressEvent;

/** An SSE response read as it comes: parsed events, and the status and headers. */
export interface SseReader {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Everything received, as text. */
  text(): string;
  events(): { event: string; data: unknown }[];
  ended: Promise<void>;
  close(): void;
}

export function openSse(base: string, path: string, headers: Record<string, string>): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${base}${path}`,
      { headers: { accept: 'text/event-stream', ...headers } },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          raw += chunk;
        });
        const ended = new Promise<void>((done) => res.once('close', () => done()));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: () => raw,
          events: () =>
            raw
              .split('\n\n')
              .map((block) => {
                const event = /^event: (.*)$/m.exec(block)?.[1];
                const data = /^data: (.*)$/m.exec(block)?.[1];
                return event && data ? { event, data: JSON.parse(data) as unknown } : null;
              })
              .filter((e): e is { event: string; data: unknown } => e !== null),
          ended,
          close: () => req.destroy(),
        });
      },
    );
    req.once('error', reject);
  });
}

/** Polls until `fn` returns a truthy value; throws after `ms`. */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  what: string,
  ms = 5_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) {
      // One more look after pending I/O: a starved process runs this timer before the frame.
      await new Promise((r) => setImmediate(r));
      const late = await fn();
      if (late) return late as NonNullable<T>;
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
