import type { AddressInfo } from 'node:net';
import type { LiveClientMessage, LiveJobState, LiveServerMessage, LiveTopic } from '@drm/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { LiveClient, type LiveStatus, type WebSocketLike } from '../../src/api/live-client.js';
import { topicKeysOf } from '../../src/api/live-routing.js';

/**
 * The live client against a real WebSocket server on a loopback port that speaks the
 * `@drm/protocol` live contract: hello, subscribe → subscribed with a snapshot, ping → pong.
 */

const T = '11111111-1111-4111-8111-111111111111';
const JOB = '22222222-2222-4222-8222-222222222222';
const DEV = '33333333-3333-4333-8333-333333333333';
const JOB_TOPIC: LiveTopic = { kind: 'job', tenantId: T, jobId: JOB };
const AGENTS_TOPIC: LiveTopic = { kind: 'agents', tenantId: T };
const NOW = '2025-01-01T00:00:00.000Z';

function jobState(done: number, status: LiveJobState['status'] = 'running'): LiveJobState {
  return {
    tenantId: T,
    jobId: JOB,
    status,
    progress: { done, total: 1 },
    targets: [{ deviceId: DEV, status }],
    finishedAt: null,
  };
}

interface FakeHub {
  url: string;
  /** Client frames received, across connections. */
  received: LiveClientMessage[];
  connections: number;
  sockets: Set<WebSocket>;
  /** Sends a frame to every open connection. */
  broadcast(frame: LiveServerMessage | string): void;
  /** Drops every connection abruptly, as a crashed hub or a cut link would. */
  dropAll(): void;
  /** While true, upgrades are refused with 401. */
  refuse: boolean;
  /** While false, the hub answers nothing after its hello (a half-dead link). */
  responsive: boolean;
  heartbeatSeconds: number;
  jobSnapshot: LiveJobState;
  close(): Promise<void>;
}

async function startFakeHub(): Promise<FakeHub> {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (_info, cb) => (hub.refuse ? cb(false, 401, 'Unauthorized') : cb(true)),
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const hub: FakeHub = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api/v1/live`,
    received: [],
    connections: 0,
    sockets: new Set(),
    refuse: false,
    responsive: true,
    heartbeatSeconds: 30,
    jobSnapshot: jobState(0),
    broadcast(frame) {
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      for (const s of hub.sockets) if (s.readyState === WebSocket.OPEN) s.send(text);
    },
    dropAll() {
      for (const s of hub.sockets) s.terminate();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of hub.sockets) s.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket) => {
    hub.connections += 1;
    hub.sockets.add(socket);
    socket.on('close', () => hub.sockets.delete(socket));
    const send = (frame: LiveServerMessage) => socket.send(JSON.stringify(frame));
    send({ type: 'hello', at: NOW, heartbeatSeconds: hub.heartbeatSeconds });
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as LiveClientMessage;
      hub.received.push(msg);
      if (!hub.responsive) return;
      if (msg.type === 'ping') send({ type: 'pong', ref: msg.ref, at: NOW });
      if (msg.type === 'subscribe') {
        const snapshot =
          msg.topic.kind === 'job' ? hub.jobSnapshot : msg.topic.kind === 'agents' ? [] : undefined;
        send({ type: 'subscribed', ref: msg.ref, topic: msg.topic, ...(snapshot && { snapshot }) });
      }
      if (msg.type === 'unsubscribe') send({ type: 'unsubscribed', ref: msg.ref, topic: msg.topic });
    });
  });
  return hub;
}

/**
 * Polls `check` until it holds. Past the deadline it lets pending I/O run once more before it
 * gives up: after the process was starved of CPU for a while (a loaded CI machine), the timer
 * runs before the socket data that arrived meanwhile, and would fail a check that is about to hold.
 */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) {
      await new Promise((r) => setImmediate(r));
      if (check()) return;
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

let hub: FakeHub;
let client: LiveClient | undefined;
const statuses: LiveStatus[] = [];

function newClient(opts: { heartbeatSlackMs?: number } = {}): LiveClient {
  client = new LiveClient({
    url: hub.url,
    createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
    backoff: { baseMs: 20, maxMs: 200 },
    ...opts,
  });
  client.onStatus((s) => statuses.push(s));
  return client;
}

beforeEach(async () => {
  statuses.length = 0;
  hub = await startFakeHub();
});

afterEach(async () => {
  client?.close();
  client = undefined;
  await hub.close();
});

describe('LiveClient', () => {
  it('opens one socket on the first subscription and delivers the snapshot, updates and progress', async () => {
    const c = newClient();
    expect(c.status.state).toBe('idle');
    const frames: LiveServerMessage[] = [];
    c.subscribe(JOB_TOPIC, (f) => frames.push(f));
    c.subscribe(AGENTS_TOPIC, () => undefined);
    await until(() => frames.some((f) => f.type === 'subscribed'), 'the snapshot');
    expect(hub.connections).toBe(1);
    expect(c.status.state).toBe('open');

    hub.broadcast({ type: 'job.updated', at: NOW, job: jobState(1, 'succeeded') });
    hub.broadcast({
      type: 'job.progress',
      tenantId: T,
      at: NOW,
      progress: { jobId: JOB, deviceId: DEV, state: 'varbinds', counts: { varbinds: 40 } },
    });
    // Frames of other jobs reach nobody watching this one.
    hub.broadcast({ type: 'job.updated', at: NOW, job: { ...jobState(0), jobId: T } });
    await until(() => frames.length >= 3, 'the update and the progress');
    expect(frames.map((f) => f.type)).toEqual(['subscribed', 'job.updated', 'job.progress']);
    const subscribed = frames[0] as Extract<LiveServerMessage, { type: 'subscribed' }>;
    expect(subscribed.snapshot).toEqual(jobState(0));
  });

  it('reconnects after the link drops and subscribes every topic again', async () => {
    const c = newClient();
    const snapshots: unknown[] = [];
    c.subscribe(JOB_TOPIC, (f) => f.type === 'subscribed' && snapshots.push(f.snapshot));
    c.subscribe(AGENTS_TOPIC, () => undefined);
    await until(() => snapshots.length === 1, 'the first snapshot');

    hub.jobSnapshot = jobState(1, 'succeeded');
    hub.dropAll();
    await until(() => snapshots.length === 2, 'the snapshot after reconnecting');
    expect(snapshots[1]).toEqual(jobState(1, 'succeeded'));
    expect(hub.connections).toBe(2);
    const subscribes = hub.received
      .filter((m) => m.type === 'subscribe')
      .map((m) => m.type === 'subscribe' && m.topic.kind);
    expect(subscribes.sort()).toEqual(['agents', 'agents', 'job', 'job']);
    expect(statuses.map((s) => s.state)).toEqual([
      'idle',
      'connecting',
      'open',
      'waiting',
      'connecting',
      'open',
    ]);
  });

  it('backs off while the hub refuses, and starts over once it says hello', async () => {
    hub.refuse = true;
    const c = newClient();
    c.subscribe(JOB_TOPIC, () => undefined);
    await until(() => statuses.filter((s) => s.state === 'waiting').length >= 3, 'three failed attempts');
    const attempts = statuses.flatMap((s) => (s.state === 'waiting' ? [s.attempt] : []));
    expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
    expect(hub.connections).toBe(0);

    hub.refuse = false;
    await until(() => c.status.state === 'open' && hub.received.length > 0, 'a connection');
    statuses.length = 0;
    hub.dropAll();
    await until(() => statuses.some((s) => s.state === 'waiting'), 'the next wait');
    // The successful hello reset the count: the next outage starts from the first delay again.
    expect(statuses.find((s) => s.state === 'waiting')).toMatchObject({ attempt: 1 });
  });

  it('unsubscribes when the last handler of a topic leaves', async () => {
    const c = newClient();
    let calls = 0;
    const off1 = c.subscribe(JOB_TOPIC, () => {
      calls += 1;
    });
    const off2 = c.subscribe(JOB_TOPIC, () => undefined);
    await until(() => calls === 1, 'the snapshot');
    off1();
    expect(hub.received.some((m) => m.type === 'unsubscribe')).toBe(false);
    off2();
    await until(() => hub.received.some((m) => m.type === 'unsubscribe'), 'the unsubscribe');
    hub.broadcast({ type: 'job.updated', at: NOW, job: jobState(1) });
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    expect(hub.received.filter((m) => m.type === 'subscribe')).toHaveLength(1);
  });

  it('a handler that joins late gets the kept snapshot with updates applied', async () => {
    const c = newClient();
    const first: LiveServerMessage[] = [];
    c.subscribe(JOB_TOPIC, (f) => first.push(f));
    await until(() => first.length === 1, 'the snapshot');
    hub.broadcast({ type: 'job.updated', at: NOW, job: jobState(1, 'succeeded') });
    await until(() => first.length === 2, 'the update');

    const late: LiveServerMessage[] = [];
    c.subscribe(JOB_TOPIC, (f) => late.push(f));
    await until(() => late.length === 1, 'the kept snapshot');
    expect(late[0]).toMatchObject({ type: 'subscribed', snapshot: jobState(1, 'succeeded') });
  });

  it('drops frames that break the contract and keeps going', async () => {
    const c = newClient();
    const frames: LiveServerMessage[] = [];
    c.subscribe(JOB_TOPIC, (f) => frames.push(f));
    await until(() => frames.length === 1, 'the snapshot');
    hub.broadcast('not json');
    hub.broadcast(JSON.stringify({ type: 'job.updated', at: NOW, job: { jobId: 'nope' } }));
    hub.broadcast({ type: 'job.updated', at: NOW, job: jobState(1) });
    await until(() => frames.length === 2, 'the valid update');
    expect(c.invalidFrames).toBe(2);
  });

  it('a handler that throws does not stop the others', async () => {
    const c = newClient();
    // Counts the update only: the tenant topic's own `subscribed` frame may arrive before it or
    // in the same turn, and counting both would let the wait below miss the value 1.
    let reached = 0;
    c.subscribe(JOB_TOPIC, () => {
      throw new Error('broken view');
    });
    c.subscribe({ kind: 'tenant', tenantId: T }, (frame) => {
      if (frame.type === 'job.updated') reached += 1;
    });
    const onError = (err: Error) => {
      if (err.message !== 'broken view') throw err;
    };
    process.on('uncaughtException', onError);
    try {
      await until(
        () => hub.received.filter((m) => m.type === 'subscribe').length === 2,
        'both subscriptions',
      );
      hub.broadcast({ type: 'job.updated', at: NOW, job: jobState(1) });
      await until(() => reached === 1, 'the second handler');
      await new Promise((r) => setTimeout(r, 20));
      expect(reached).toBe(1);
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('pings at the heartbeat and reconnects when the hub goes silent', async () => {
    hub.heartbeatSeconds = 1;
    const c = newClient({ heartbeatSlackMs: 100 });
    c.subscribe(JOB_TOPIC, () => undefined);
    await until(() => hub.received.some((m) => m.type === 'ping'), 'a ping', 3000);
    hub.responsive = false;
    // Silent for 2 heartbeats + slack: the client gives the socket up although TCP is fine.
    await until(() => hub.connections === 2, 'a new connection', 5000);
  });

  it('close() stops for good until something subscribes again', async () => {
    const c = newClient();
    c.subscribe(JOB_TOPIC, () => undefined);
    await until(() => c.status.state === 'open', 'the connection');
    c.close();
    expect(c.status.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 100));
    expect(hub.connections).toBe(1);
    await until(() => hub.sockets.size === 0, 'the server to see the close');
  });
});

describe('topicKeysOf', () => {
  const progress = { jobId: JOB, deviceId: DEV, state: 'started', counts: { varbinds: 0 } } as const;
  it.each<[string, LiveServerMessage, string[]]>([
    ['subscribed', { type: 'subscribed', topic: JOB_TOPIC }, [`job:${T}:${JOB}`]],
    ['error without topic', { type: 'error', code: 'bad_frame', message: 'x' }, []],
    [
      'job.progress',
      { type: 'job.progress', tenantId: T, at: NOW, progress },
      [`job:${T}:${JOB}`, `device:${T}:${DEV}`],
    ],
    [
      'job.updated',
      { type: 'job.updated', at: NOW, job: jobState(0) },
      [`job:${T}:${JOB}`, `tenant:${T}`, `device:${T}:${DEV}`],
    ],
    [
      'agent.updated',
      {
        type: 'agent.updated',
        at: NOW,
        agent: { tenantId: T, agentId: DEV, state: 'online', lastSeenAt: null },
      },
      [`agents:${T}`, `tenant:${T}`],
    ],
    [
      'trap without a device',
      {
        type: 'trap',
        at: NOW,
        trap: {
          tenantId: T,
          id: JOB,
          receivedAt: NOW,
          agentId: DEV,
          deviceId: null,
          trapOid: '1.3',
          source: 'x',
        },
      },
      [`tenant:${T}`],
    ],
    ['pong', { type: 'pong', at: NOW }, []],
  ])('%s', (_name, frame, keys) => {
    expect(topicKeysOf(frame)).toEqual(keys);
  });
});
