/**
 * Live push latency: from an agent's MQTT publish of a progress event to its arrival at each
 * WebSocket client subscribed to the job, for 1 and for 500 clients.
 *
 * A hub listens on loopback (embedded broker on a free port, agent link on) over PGlite in
 * memory, or a scratch PostgreSQL database when DATABASE_URL / TEST_DATABASE_URL is set. One
 * agent (a plain MQTT client with its credentials) publishes `progress` events for a running
 * job at RATE per second; each carries its sequence number in `counts.varbinds`, and the send
 * time of each sequence is kept here. The WebSocket clients run in a child process (on the
 * second core), note the arrival time of every `job.progress` frame, and the latency is arrival
 * minus send, over the wall clock both processes share.
 *
 * References, in the same run: one MQTT hop through the same broker (the hub publishing to the
 * agent's `cancel` topic, the agent's client receiving it; matched in order, as QoS 1 on one
 * connection keeps it), and, for each client count, a bare `ws` server in this process sending
 * the same frames to the same client harness: the floor of a WebSocket broadcast here.
 *
 *   node --conditions=source --import tsx bench/live-latency.ts [events] [clients...]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';

const EVENTS = Number(process.argv[2] ?? 300);
const CLIENTS = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 500];
const RATE = 50;
const WARM_UP = 20;

const nowMs = () => performance.timeOrigin + performance.now();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ClientJob {
  wsUrl: string;
  token: string;
  topic: { kind: 'job'; tenantId: string; jobId: string };
  count: number;
}

/** Child process: N clients that subscribe, then record [sequence, arrival] of every progress frame. */
async function runClients({ wsUrl, token, topic, count }: ClientJob): Promise<void> {
  const arrivals: number[] = [];
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
      await new Promise<void>((resolve, reject) => {
        ws.on('message', (data) => {
          const f = JSON.parse(String(data)) as { type: string; progress?: { counts: { varbinds: number } } };
          if (f.type === 'job.progress' && f.progress) arrivals.push(f.progress.counts.varbinds, nowMs());
          else if (f.type === 'subscribed') resolve();
          else if (f.type === 'error') reject(new Error(JSON.stringify(f)));
          else if (f.type === 'hello') ws.send(JSON.stringify({ type: 'subscribe', topic }));
        });
        ws.once('error', reject);
      });
      return ws;
    }),
  );
  process.send!({ ready: true });
  process.once('message', () => {
    for (const ws of sockets) ws.terminate();
    process.send!({ arrivals: Float64Array.from(arrivals) }, () => process.disconnect());
  });
}

interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function summary(latencies: number[]): Summary {
  const s = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
  return { n: s.length, p50: at(50), p99: at(99), max: s.at(-1) ?? Number.NaN };
}

const fmt = (x: number) => `${x.toFixed(2)} ms`;
const show = (s: Summary) => `p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} max ${fmt(s.max)} (n=${s.n})`;

/**
 * Starts `job.count` clients in a child process, fires EVENTS + WARM_UP events at RATE (`fire`
 * gets the sequence number; frames carry `base` + it), and returns the latencies past the warm-up.
 */
async function measure(job: ClientJob, fire: (seq: number) => void, base = 0): Promise<number[]> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv,
    env: { ...process.env, LIVE_BENCH_ROLE: 'clients' },
    serialization: 'advanced',
  });
  child.send(job);
  await new Promise((resolve, reject) => child.once('message', resolve).once('error', reject));
  const sent: number[] = [];
  for (let seq = 0; seq < EVENTS + WARM_UP; seq++) {
    sent[seq] = nowMs();
    fire(seq);
    await pause(1000 / RATE);
  }
  await pause(500);
  const { arrivals } = await new Promise<{ arrivals: Float64Array }>((resolve) => {
    child.once('message', resolve as (m: unknown) => void);
    child.send('collect');
  });
  const latencies: number[] = [];
  for (let i = 0; i < arrivals.length; i += 2) {
    const seq = arrivals[i]! - base;
    if (seq >= WARM_UP) latencies.push(arrivals[i + 1]! - sent[seq]!);
  }
  return latencies;
}

/** A bare `ws` server that answers hello/subscribe as the hub does and broadcasts frames. */
async function bareServer(): Promise<{
  url: string;
  broadcast(frame: unknown): void;
  close(): Promise<void>;
}> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ type: 'hello' }));
    ws.on('message', () => ws.send(JSON.stringify({ type: 'subscribed' })));
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    broadcast(frame) {
      const data = Buffer.from(JSON.stringify(frame));
      for (const ws of wss.clients) ws.send(data, { binary: false });
    },
    close: () => new Promise((resolve) => wss.close(() => resolve())),
  };
}

async function main(): Promise<void> {
  if (process.env.DATABASE_URL) process.env.TEST_DATABASE_URL ??= process.env.DATABASE_URL;
  const { messageFor } = await import('@drm/protocol');
  const { createTestHub } = await import('../hub/test/helpers/hub.js');
  const { connectAgent, enrollAgent, statusPayload, topicOf } = await import('../hub/test/helpers/mqtt.js');

  const hub = await createTestHub();
  const bare = await bareServer();
  try {
    const agent = await enrollAgent(hub);
    const call = async (url: string, body: unknown) => {
      const res = await hub.call(agent.admin.token, 'POST', url, body);
      if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      return res.json() as { id: string };
    };
    const cred = await call(`${agent.base}/credentials`, {
      name: 'bench',
      kind: 'snmp-community',
      version: '2c',
      community: 'bench',
    });
    const device = await call(`${agent.base}/devices`, {
      siteId: agent.siteId,
      agentId: agent.agentId,
      name: 'bench-switch',
      address: '192.0.2.10',
      snmp: { version: '2c', port: 161, credentialId: cred.id },
    });
    const job = await call(`${agent.base}/jobs`, {
      kind: 'snmp.walk',
      targets: [device.id],
      params: { oid: '1.3.6.1.2.1' },
    });
    const address = await hub.app.listen({ port: 0, host: '127.0.0.1' });
    const mqtt = await connectAgent(`mqtt://127.0.0.1:${hub.app.mqtt.port}`, agent, { clean: true });
    await mqtt.subscribeAsync(topicOf(agent, 'cancel'), { qos: 1 });
    await mqtt.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), {
      qos: 1,
      retain: true,
    });
    const body = (seq: number, state: 'started' | 'varbinds') =>
      ({ jobId: job.id, deviceId: device.id, state, counts: { varbinds: seq } }) as const;
    const progress = (seq: number, state: 'started' | 'varbinds') =>
      JSON.stringify(messageFor('progress', body(seq, state)));
    await mqtt.publishAsync(topicOf(agent, 'progress'), progress(0, 'started'), { qos: 0 });
    console.log(
      `hub on ${address}, ${hub.db.engine}; ${EVENTS} events at ${RATE}/s after ${WARM_UP} warm-up, per run`,
    );

    const refSent: number[] = [];
    const refLatencies: number[] = [];
    mqtt.on('message', (topic) => {
      const sent = refSent[refLatencies.length];
      if (topic.endsWith('/cancel') && sent !== undefined) refLatencies.push(nowMs() - sent);
    });
    for (let i = 0; i < EVENTS + WARM_UP; i++) {
      refSent.push(nowMs());
      await hub.app.mqtt.publish(agent.tenantId, agent.agentId, 'cancel', { jobId: job.id });
      await pause(1000 / RATE);
    }
    await pause(200);
    const ref = summary(refLatencies.slice(WARM_UP));
    console.log(`reference: MQTT hop hub→agent through the broker: ${show(ref)}`);

    // Where the hub's time goes: publish → its fan-out call, and how long that call takes.
    const live = hub.app.live.hub;
    const original = live.progress.bind(live);
    const offset = 1_000_000;
    const reached: number[] = [];
    const callMs: number[] = [];
    live.progress = (tenantId, event) => {
      const start = nowMs();
      reached[event.counts.varbinds - offset] = start;
      original(tenantId, event);
      callMs.push(nowMs() - start);
    };

    const topic = { kind: 'job' as const, tenantId: agent.tenantId, jobId: job.id };
    for (const count of CLIENTS) {
      const jobOf = (url: string): ClientJob => ({ wsUrl: url, token: agent.admin.token, topic, count });
      const floor = summary(
        await measure(jobOf(bare.url), (seq) =>
          bare.broadcast({
            type: 'job.progress',
            tenantId: agent.tenantId,
            at: new Date().toISOString(),
            progress: body(seq, 'varbinds'),
          }),
        ),
      );
      reached.length = 0;
      callMs.length = 0;
      const sentAt: number[] = [];
      const wsUrl = `${address.replace(/^http/, 'ws')}/api/v1/live`;
      const latencies = await measure(
        jobOf(wsUrl),
        (seq) => {
          sentAt[seq] = nowMs();
          mqtt.publish(topicOf(agent, 'progress'), progress(offset + seq, 'varbinds'), { qos: 0 });
        },
        offset,
      );
      const result = summary(latencies);
      const toHub = summary(
        sentAt
          .slice(WARM_UP)
          .map((t, i) => (reached[i + WARM_UP] ?? Number.NaN) - t)
          .filter(Number.isFinite),
      );
      console.log(`${String(count).padStart(4)} client(s):`);
      console.log(`  bare ws broadcast (floor):        ${show(floor)}`);
      console.log(`  hub, MQTT publish → WebSocket:    ${show(result)} of ${count * EVENTS}`);
      console.log(
        `    of which publish → fan-out call ${show(toHub)}; the call for ${count} ${show(summary(callMs.slice(WARM_UP)))}`,
      );
      console.log(
        `  ratio p50/p99 to the MQTT hop ${(result.p50 / ref.p50).toFixed(1)}/${(result.p99 / ref.p99).toFixed(1)}, ` +
          `to the bare broadcast ${(result.p50 / floor.p50).toFixed(1)}/${(result.p99 / floor.p99).toFixed(1)}; ` +
          `p99 < 50 ms: ${result.p99 < 50 ? 'met' : 'NOT met'}`,
      );
    }
    mqtt.end(true);
  } finally {
    await bare.close();
    await hub.close();
  }
}

// Last, so that every declaration above is initialised.
if (process.env.LIVE_BENCH_ROLE !== 'clients') await main();
else process.once('message', (job) => void runClients(job as ClientJob));
