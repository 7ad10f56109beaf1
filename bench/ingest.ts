/**
 * Hub ingestion of result rows, over real MQTT into real PostgreSQL, against a raw batched
 * INSERT of the same rows into the same table, in the same run.
 *
 * A hub (embedded broker on a free port, agent link on) runs on a scratch database created
 * from DATABASE_URL / TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 * migrated, and dropped at the end. One agent is enrolled with DEVICES devices; jobs with every
 * device as a target are created through the API, dispatched to the agent and receipted, so each
 * result row is one that the hub accepts. A plain MQTT client with the agent's credentials,
 * in a worker thread of its own (`ingest-agent.ts`: an agent is another process, and its
 * sending must not run on the hub's event loop), then publishes `results` batches of 500
 * items (snmp.get results of three varbinds), with at most IN_FLIGHT batches unacknowledged as
 * the agent's outbox does, and waits for the hub's `ack` of each; rows/s = rows / time from
 * the start signal to the last ack (the messages are serialised before it).
 *
 * Reference: the same number of rows for a second, fresh set of jobs, inserted into
 * job_results by `INSERT … SELECT FROM unnest(…)` of 1,000 rows per statement and transaction,
 * as the hub's database role with the tenant set (RLS on), the same number at a time. Both go
 * in SLICES turns, taking turns at going first. Samples (the time-partitioned table) are
 * measured the same way.
 *
 * Each side also prints its CPU per row (this process, and PostgreSQL's processes when the
 * database runs on this host; `cpu.ts`) and the rate this machine's cores allow at that cost.
 *
 * With AGENTS > 1 (third argument), that many agents of the one tenant share the devices and
 * the rows, each with its own MQTT client and window, all publishing at once; the reference then
 * runs as many statements at a time as all the windows together.
 *
 *   node --conditions=source --import tsx bench/ingest.ts [rows] [batches in flight] [agents]
 */
import { Worker } from 'node:worker_threads';
import type { MqttClient } from 'mqtt';
import { messageFor, parseTopic, type ResultRecord, type SampleRecord, uuidv7 } from '@drm/protocol';
import type { Db } from '../hub/src/db/types.js';
import type { AgentWorkerData, FromAgentWorker, ToAgentWorker } from './ingest-agent.js';
import { addCpu, type CpuReading, cpuNow, cpuPerRow, cpuSince, NO_CPU } from './cpu.js';
import { chunked, pool } from './pool.js';
import { RAW_BATCH, rawSampleInsert } from './raw-samples.js';
import { createTestHub, type TestHub } from '../hub/test/helpers/hub.js';
import {
  connectAgent,
  enrollAgent,
  statusPayload,
  type TestAgent,
  topicOf,
} from '../hub/test/helpers/mqtt.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const DEVICES = Math.min(1_000, ROWS);
const BATCH = 500;
/** The agent's outbox drain keeps at most 4 batches unacknowledged by default. */
const IN_FLIGHT = Number(process.argv[3] ?? 4);
const AGENTS = Number(process.argv[4] ?? 1);
const ACK_TIMEOUT_MS = 60_000;
const SLICES = 10;

process.env.TEST_DATABASE_URL ??= process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Link {
  client: MqttClient;
  dispatched: Set<string>;
}

async function addDevices(hub: TestHub, agent: TestAgent, count: number, n: number): Promise<string[]> {
  const cred = await hub.call(agent.admin.token, 'POST', `${agent.base}/credentials`, {
    name: `bench-${n}`,
    kind: 'snmp-community',
    version: '2c',
    community: 'bench-community',
  });
  if (cred.statusCode !== 201) throw new Error(`credential: ${cred.body}`);
  const ids: string[] = [];
  await pool([...Array(count).keys()], 8, async (i) => {
    const res = await hub.call(agent.admin.token, 'POST', `${agent.base}/devices`, {
      siteId: agent.siteId,
      agentId: agent.agentId,
      name: `edge-${n}-${i}`,
      address: `10.${n}.${i >> 8}.${i & 255}`,
      snmp: { version: '2c', port: 161, credentialId: cred.json().id },
    });
    if (res.statusCode !== 201) throw new Error(`device: ${res.body}`);
    ids.push(res.json().id);
  });
  return ids;
}

async function online(url: string, agent: TestAgent): Promise<Link> {
  const client = await connectAgent(url, agent, { clean: true });
  const link: Link = { client, dispatched: new Set() };
  client.on('message', (topic, payload) => {
    const channel = parseTopic(topic)?.channel;
    if (channel === 'jobs') link.dispatched.add(JSON.parse(payload.toString()).body.jobId);
  });
  await client.subscribeAsync(
    (['jobs', 'config', 'ack', 'cancel'] as const).map((c) => topicOf(agent, c)),
    { qos: 1 },
  );
  await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), {
    qos: 1,
    retain: true,
  });
  return link;
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const count = async (db: Db, sql: string, params: unknown[]) =>
  (await db.asOwner((q) => q.query<{ n: number }>(sql, params))).rows[0]?.n ?? 0;

/** `jobs` jobs of one snmp.get over every device, dispatched to the agent and receipted. */
async function createJobs(hub: TestHub, agent: TestAgent, link: Link, devices: string[], jobs: number) {
  const ids: string[] = [];
  for (let j = 0; j < jobs; j++) {
    const res = await hub.call(agent.admin.token, 'POST', `${agent.base}/jobs`, {
      kind: 'snmp.get',
      targets: devices,
      params: { oids: ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0'] },
    });
    if (res.statusCode !== 202) throw new Error(`job: ${res.body}`);
    ids.push(res.json().id);
  }
  await waitFor('dispatch', () => ids.every((id) => link.dispatched.has(id)));
  await link.client.publishAsync(
    topicOf(agent, 'receipts'),
    JSON.stringify(messageFor('receipts', { jobIds: ids })),
    {
      qos: 1,
    },
  );
  const sql =
    'SELECT count(*)::int AS n FROM job_targets WHERE job_id = ANY($1::uuid[]) AND receipted_at IS NOT NULL';
  await waitFor('receipts', async () => (await count(hub.db, sql, [ids])) === ids.length * devices.length);
  return ids;
}

function results(jobIds: string[], devices: string[], rows: number): ResultRecord[] {
  const out: ResultRecord[] = [];
  const t = Date.now();
  for (const jobId of jobIds) {
    for (const [i, deviceId] of devices.entries()) {
      if (out.length === rows) return out;
      out.push({
        kind: 'result',
        id: uuidv7(),
        jobId,
        deviceId,
        status: 'succeeded',
        startedAt: new Date(t).toISOString(),
        finishedAt: new Date(t + 12).toISOString(),
        varbinds: [
          { oid: '1.3.6.1.2.1.1.1.0', type: 'OctetString', value: `Linux edge-${i} 5.10.0-21-amd64 x86_64` },
          { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 1_234_567 + i },
          { oid: '1.3.6.1.2.1.1.5.0', type: 'OctetString', value: `edge-${i}.example.net` },
        ],
      });
    }
  }
  return out;
}

function samples(devices: string[], rows: number): SampleRecord[] {
  const scheduleId = uuidv7();
  const t = Date.now() - rows * 10;
  return Array.from({ length: rows }, (_, i) => ({
    kind: 'sample' as const,
    id: uuidv7(),
    scheduleId,
    deviceId: devices[i % devices.length] as string,
    ts: new Date(t + i * 10).toISOString(),
    oid: '1.3.6.1.2.1.2.2.1.10.1',
    name: 'IF-MIB::ifInOctets.1',
    valueNum: i * 1500,
  }));
}

/** The `results` messages of `items`, BATCH items each, serialised as the agent sends them. */
function batchesOf(items: (ResultRecord | SampleRecord)[]): { id: string; text: string }[] {
  const batches: { id: string; text: string }[] = [];
  for (let i = 0; i < items.length; i += BATCH) {
    const message = messageFor('results', { items: items.slice(i, i + BATCH) });
    batches.push({ id: message.id, text: JSON.stringify(message) });
  }
  return batches;
}

/** Starts an agent's sending side in its worker thread, connected in place of `link`. */
async function startAgentWorker(url: string, agent: TestAgent, link: Link): Promise<Worker> {
  await link.client.endAsync();
  const data: AgentWorkerData = {
    url,
    clientId: agent.agentId,
    username: agent.username,
    password: agent.password,
    resultsTopic: topicOf(agent, 'results'),
    ackTopic: topicOf(agent, 'ack'),
    statusTopic: topicOf(agent, 'status'),
    statusPayload: statusPayload(agent, 'online'),
    inFlight: IN_FLIGHT,
    ackTimeoutMs: ACK_TIMEOUT_MS,
  };
  // A worker does not get the main thread's TypeScript loader; it registers its own first.
  const entry = new URL('./ingest-agent.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  await nextFrom(worker, 'ready');
  return worker;
}

/** The next message of `type` from the worker; rejects on a failure it reports or its error. */
function nextFrom<T extends FromAgentWorker['type']>(
  worker: Worker,
  type: T,
): Promise<Extract<FromAgentWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: FromAgentWorker) => {
      if (msg.type !== type && msg.type !== 'failed') return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      if (msg.type === 'failed') reject(new Error(msg.error));
      else resolve(msg as Extract<FromAgentWorker, { type: T }>);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

async function rawResults(db: Db, agent: TestAgent, rows: ResultRecord[], width: number): Promise<void> {
  await pool(chunked(rows, RAW_BATCH), width, async (chunk) => {
    await db.withTenant(agent.tenantId, (q) =>
      q.query(
        `INSERT INTO job_results (tenant_id, id, job_id, device_id, agent_id, status, started_at, finished_at,
                                  received_at, varbinds)
         SELECT $1, r.id, r.job_id, r.device_id, $2, r.status, r.started_at, r.finished_at, now(), r.varbinds
           FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::timestamptz[], $8::timestamptz[],
                       $9::jsonb[]) AS r(id, job_id, device_id, status, started_at, finished_at, varbinds)
         ON CONFLICT (tenant_id, id) DO NOTHING`,
        [
          agent.tenantId,
          agent.agentId,
          chunk.map((r) => r.id),
          chunk.map((r) => r.jobId),
          chunk.map((r) => r.deviceId),
          chunk.map((r) => r.status),
          chunk.map((r) => r.startedAt),
          chunk.map((r) => r.finishedAt),
          chunk.map((r) => JSON.stringify(r.varbinds)),
        ],
      ),
    );
  });
}

/** Wall time and CPU (this process, PostgreSQL) of one side of a run, summed over its turns. */
interface Side {
  ms: number;
  cpu: CpuReading;
}

/** Times `run` and takes its CPU, from a start it marks (after its own set-up) to its end. */
async function measured(run: (started: () => void) => Promise<unknown>): Promise<Side> {
  let start = performance.now();
  let cpu = cpuNow();
  await run(() => {
    start = performance.now();
    cpu = cpuNow();
  });
  return { ms: performance.now() - start, cpu: cpuSince(cpu) };
}

function add(side: Side, turn: Side): void {
  side.ms += turn.ms;
  side.cpu = addCpu(side.cpu, turn.cpu);
}

/**
 * Runs both sides in SLICES turns, each going first every other turn, and sums their times:
 * the table grows as they go (past shared_buffers at 100k rows a side), and the side that went
 * second would otherwise always write into the bigger table.
 */
async function alternate<T>(
  hubRows: T[],
  rawRows: T[],
  hub: (rows: T[]) => Promise<Side>,
  raw: (rows: T[]) => Promise<Side>,
): Promise<[Side, Side]> {
  const size = Math.ceil(hubRows.length / SLICES);
  const hubSide: Side = { ms: 0, cpu: NO_CPU };
  const rawSide: Side = { ms: 0, cpu: NO_CPU };
  for (let i = 0; i * size < hubRows.length; i++) {
    const slice = (rows: T[]) => rows.slice(i * size, (i + 1) * size);
    if (i % 2 === 1) add(rawSide, await raw(slice(rawRows)));
    add(hubSide, await hub(slice(hubRows)));
    if (i % 2 === 0) add(rawSide, await raw(slice(rawRows)));
  }
  return [hubSide, rawSide];
}

const perSecond = (rows: number, ms: number) => (rows / ms) * 1000;

function report(label: string, rows: number, [hubSide, rawSide]: [Side, Side]): void {
  const hub = perSecond(rows, hubSide.ms);
  const raw = perSecond(rows, rawSide.ms);
  console.log(
    `${label.padEnd(8)} hub ${rows} rows in ${hubSide.ms.toFixed(0)} ms = ${hub.toFixed(0)} rows/s | ` +
      `raw INSERT ${rawSide.ms.toFixed(0)} ms = ${raw.toFixed(0)} rows/s | ratio ${(hub / raw).toFixed(2)}`,
  );
  console.log(
    `${''.padEnd(8)} ${cpuPerRow('CPU: hub process (broker, sending agent thread)', hubSide.cpu, rows)}`,
  );
  console.log(`${''.padEnd(8)} ${cpuPerRow('CPU: raw INSERT client', rawSide.cpu, rows)}`);
}

/** One agent of the run: its identity, MQTT link, devices and the jobs over them. */
interface Sender {
  agent: TestAgent;
  link: Link;
  devices: string[];
  hubJobs: string[];
  rawJobs: string[];
  /** The agent's sending side, once set-up is done. */
  worker?: Worker;
}

/**
 * Each agent publishes its own rows of `rows` (told apart by device), all agents at once, each
 * from its worker, until the last agent's last ack. The messages are built and handed to the
 * workers first; `started` marks the start signal, where the clock starts.
 */
async function publishFromAll(
  senders: Sender[],
  rows: (ResultRecord | SampleRecord)[],
  started: () => void,
): Promise<void> {
  await Promise.all(
    senders.map((s) => {
      const mine = new Set(s.devices);
      const loaded = nextFrom(s.worker!, 'loaded');
      s.worker!.postMessage({
        type: 'load',
        batches: batchesOf(rows.filter((r) => mine.has(r.deviceId))),
      } satisfies ToAgentWorker);
      return loaded;
    }),
  );
  started();
  const done = await Promise.all(
    senders.map((s) => {
      const finished = nextFrom(s.worker!, 'done');
      s.worker!.postMessage({ type: 'go' } satisfies ToAgentWorker);
      return finished;
    }),
  );
  const committed = done.reduce((n, d) => n + d.committed, 0);
  if (committed !== rows.length) throw new Error(`${committed} of ${rows.length} committed`);
}

const setupStart = performance.now();
const hub = await createTestHub();
const senders: Sender[] = [];
try {
  const first = await enrollAgent(hub);
  const perAgent = Math.ceil(DEVICES / AGENTS);
  const jobsPerSet = Math.ceil(ROWS / DEVICES);
  for (let n = 0; n < AGENTS; n++) {
    const agent = n === 0 ? first : await enrollAgent(hub, first);
    const devices = await addDevices(hub, agent, perAgent, n);
    const link = await online(`mqtt://127.0.0.1:${hub.app.mqtt.port}`, agent);
    const hubJobs = await createJobs(hub, agent, link, devices, jobsPerSet);
    const rawJobs = await createJobs(hub, agent, link, devices, jobsPerSet);
    senders.push({ agent, link, devices, hubJobs, rawJobs });
  }
  // What the hub is meant to do at start-up and daily: this month's and next month's partitions.
  await hub.db.asOwner((q) => q.query('SELECT drm_ensure_sample_partitions(current_date, 2)'));
  // Statistics as autovacuum keeps them in a running system; the set-up grew these tables from
  // nothing within a minute or two.
  await hub.db.asOwner((q) => q.query('ANALYZE job_targets, jobs, job_results, devices, samples'));
  // Each agent now sends from its own thread, as it would from its own process.
  for (const s of senders) {
    s.worker = await startAgentWorker(`mqtt://127.0.0.1:${hub.app.mqtt.port}`, s.agent, s.link);
  }
  const rows = perAgent * jobsPerSet * AGENTS;
  console.log(
    `${rows} rows, ${AGENTS} agent(s) of one tenant with ${perAgent} devices each, ${jobsPerSet} jobs ` +
      `per agent and set, ${BATCH} items per message, ${IN_FLIGHT} in flight per agent; set-up ` +
      `${((performance.now() - setupStart) / 1000).toFixed(1)} s`,
  );

  // Interleaved by agent, so every slice of the turns holds rows of every agent.
  const interleave = <T>(lists: T[][]) =>
    Array.from({ length: Math.max(...lists.map((l) => l.length)) }, (_, i) => lists.map((l) => l[i]))
      .flat()
      .filter((x): x is T => x !== undefined);
  const hubRows = interleave(senders.map((s) => results(s.hubJobs, s.devices, rows / AGENTS)));
  const rawRows = interleave(senders.map((s) => results(s.rawJobs, s.devices, rows / AGENTS)));
  const { agent } = senders[0]!;
  const resultSides = await alternate(
    hubRows,
    rawRows,
    (slice) => measured((started) => publishFromAll(senders, slice, started)),
    (slice) => measured(() => rawResults(hub.db, agent, slice, IN_FLIGHT * AGENTS)),
  );
  const hubJobs = senders.flatMap((s) => s.hubJobs);
  const stored = await count(
    hub.db,
    'SELECT count(*)::int AS n FROM job_results WHERE job_id = ANY($1::uuid[])',
    [hubJobs],
  );
  const done = await count(
    hub.db,
    "SELECT count(*)::int AS n FROM job_targets WHERE job_id = ANY($1::uuid[]) AND status = 'succeeded'",
    [hubJobs],
  );
  if (stored !== rows || done !== rows) throw new Error(`stored ${stored}, targets succeeded ${done}`);
  report('results', rows, resultSides);

  const allDevices = senders.flatMap((s) => s.devices);
  const sampleSides = await alternate(
    samples(allDevices, rows),
    samples(allDevices, rows),
    (slice) => measured((started) => publishFromAll(senders, slice, started)),
    (slice) => measured(() => rawSampleInsert(hub.db, agent.tenantId, slice, IN_FLIGHT * AGENTS)),
  );
  report('samples', rows, sampleSides);
} finally {
  for (const s of senders) {
    s.link.client.end(true);
    s.worker?.postMessage({ type: 'close' } satisfies ToAgentWorker);
  }
  await hub.close();
}
