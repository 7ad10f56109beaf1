/**
 * Outbox drain after an outage: an enrolled agent's outbox holds SAMPLES poll samples (as
 * after hours without the hub), then the real `drm-agent run` process starts and sends them:
 * batches of up to 500, at most 4 unacknowledged, each deleted only on the hub's ack after
 * its commit. Figure: samples/s from the agent's connection to the last row committed in
 * PostgreSQL. Reference, same run: a raw batched INSERT of the same number of sample rows
 * (`unnest` of 1,000 per statement, as the hub's role with the tenant set).
 * Also printed: the agent process's peak RSS while draining.
 *
 *   node --conditions=source --import tsx bench/outbox-drain.ts [samples]
 */
import { readFileSync } from 'node:fs';
import { type SampleRecord, uuidv7 } from '@drm/protocol';
import { Store } from '../agent/src/store/index.js';
import { addDevice } from '../agent/test/link/hub-side.js';
import { createTestHub } from '../hub/test/helpers/hub.js';
import { rawSampleInsert } from './raw-samples.js';
import { enrolledAgent, listen, removeDataDirs, spawnAgent, stopProcess } from '../test/faults/support.js';

const SAMPLES = Number(process.argv[2] ?? 100_000);

process.env.TEST_DATABASE_URL ??= process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function outageSamples(deviceId: string, scheduleId: string, n: number, idBase: number): SampleRecord[] {
  const oids = ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.2.2.1.10.2', '1.3.6.1.2.1.2.2.1.16.2'];
  const start = Date.now() - 3 * 3600_000;
  return Array.from({ length: n }, (_, i) => {
    const ts = start + Math.floor(i / oids.length) * 1000;
    return {
      kind: 'sample',
      id: uuidv7(idBase + i),
      scheduleId,
      deviceId,
      ts: new Date(ts).toISOString(),
      oid: oids[i % oids.length]!,
      name: 'IF-MIB::ifInOctets.2',
      type: 'Counter32',
      valueNum: i * 1500,
    };
  });
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const hub = await createTestHub();
  const url = await listen(hub.app);
  const { agent, dataDir } = await enrolledAgent(hub, url);
  const deviceId = await addDevice(hub, agent);
  const sched = await hub.call(agent.admin.token, 'POST', `${agent.base}/schedules`, {
    name: 'outage poll',
    kind: 'snmp.get',
    deviceIds: [deviceId],
    params: { oids: ['1.3.6.1.2.1.1.3.0'] },
    intervalSeconds: 86_400,
    enabled: false,
  });
  if (sched.statusCode !== 201) throw new Error(`schedule: ${sched.statusCode} ${sched.body}`);
  const scheduleId = sched.json().id as string;

  const store = Store.open(dataDir, { outboxMaxBytes: 1024 * 1024 * 1024 });
  const backlog = outageSamples(deviceId, scheduleId, SAMPLES, Date.now() - 10_000_000);
  for (let i = 0; i < backlog.length; i += 5_000) store.outbox.appendMany(backlog.slice(i, i + 5_000));
  const queued = store.outbox.stats();
  store.close();
  console.log(
    `outbox before the drain: ${queued.count} samples, ${(queued.bytes / 1e6).toFixed(1)} MB of JSON`,
  );

  const count = () =>
    hub.db.withTenant(agent.tenantId, async (q) => {
      const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM samples');
      return rows[0]!.n;
    });

  const proc = spawnAgent(dataDir, ['--log-level', 'warn']);
  const pid = proc.child.pid!;
  // The drain starts with the connection: wait for the agent's `online` status.
  const online = await new Promise<number>((resolve) => {
    const t = setInterval(async () => {
      const { rows } = await hub.db.asSystem((q) =>
        q.query<{ state: string }>('SELECT state FROM agents WHERE id = $1', [agent.agentId]),
      );
      if (rows[0]?.state === 'online') {
        clearInterval(t);
        resolve(performance.now());
      }
    }, 20);
  });
  let peak = 0;
  let stored = 0;
  while (stored < SAMPLES) {
    peak = Math.max(peak, rssMb(pid));
    stored = await count();
    await new Promise((r) => setTimeout(r, 50));
  }
  const drainMs = performance.now() - online;
  await stopProcess(proc, 'SIGTERM');

  // Reference: the same number of rows, inserted directly.
  const raw = outageSamples(deviceId, scheduleId, SAMPLES, Date.now() - 20_000_000);
  const rawMs = await rawSampleInsert(hub.db, agent.tenantId, raw);

  const rate = (SAMPLES / drainMs) * 1000;
  const rawRate = (SAMPLES / rawMs) * 1000;
  console.log(
    `outbox drain: ${SAMPLES} samples in ${(drainMs / 1000).toFixed(2)} s = ${Math.round(rate)} samples/s ` +
      `(agent peak RSS ${peak.toFixed(0)} MB)`,
  );
  console.log(`raw batched insert: ${Math.round(rawRate)} rows/s; ratio ${(rate / rawRate).toFixed(2)}`);
  await hub.close();
  removeDataDirs();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
