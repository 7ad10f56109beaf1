import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeviceAccess,
  type JobDispatch,
  type JobSpec,
  type ProgressEvent,
  ResultRecord,
  SNMP_DEFAULTS,
  type Varbind,
} from '@drm/protocol';
import { Executor, type ExecutorOptions } from '../../src/components/executor.js';
import { ConcurrencyLimiter } from '../../src/components/limiter.js';
import { type TargetOutcome, toResultRecords } from '../../src/components/result-records.js';
import { SessionPool } from '../../src/drivers/snmp/index.js';
import { Store } from '../../src/store/index.js';
import {
  SIM_GOLDEN,
  SIM_SLOW_COUNT,
  SIM_SLOW_ROOT,
  type SnmpSimulator,
  startSnmpSimulator,
} from '../helpers/snmp-simulator.js';
import { cleanupDirs, TENANT_ID, tempDir } from '../store/fixtures.js';
import { deadPort, outboxResults, quietLog, until } from './harness.js';

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
/** The first slow scalar: answers after the simulator's `slowMs`. */
const SLOW_SCALAR = `${SIM_SLOW_ROOT}.1.0`;
const SLOW_MS = 300;

let sim: SnmpSimulator;
let pool: SessionPool;

beforeAll(async () => {
  sim = await startSnmpSimulator({ slowMs: SLOW_MS });
  pool = new SessionPool();
});

afterAll(async () => {
  pool?.close();
  // A slow scalar whose request was aborted still answers after SLOW_MS; let it before closing.
  await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 100));
  await sim?.close();
  cleanupDirs();
});

interface Harness {
  store: Store;
  executor: Executor;
  limiter: ConcurrencyLimiter;
  progress: ProgressEvent[];
  outboxCalls: () => number;
  dir: string;
}

const open: Harness[] = [];

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.executor.stop();
    h.store.close();
  }
});

function harness(
  opts: { global?: number; perDevice?: number; dir?: string } & Partial<ExecutorOptions> = {},
): Harness {
  const dir = opts.dir ?? join(tempDir('drm-executor-'), 'data');
  const store = opts.store ?? Store.open(dir);
  const limiter =
    opts.limiter ?? new ConcurrencyLimiter({ global: opts.global ?? 4, perDevice: opts.perDevice ?? 2 });
  const progress: ProgressEvent[] = [];
  let outbox = 0;
  const executor = new Executor({
    pool,
    log: quietLog,
    sweepMs: 50,
    ...opts,
    store,
    limiter,
    onProgress: (e) => progress.push(e),
    onOutbox: () => {
      outbox += 1;
    },
  });
  const h = { store, executor, limiter, progress, outboxCalls: () => outbox, dir };
  open.push(h);
  return h;
}

function simDevice(deviceId = randomUUID(), port = sim.port): DeviceAccess {
  return { deviceId, address: '127.0.0.1', snmp: { version: '2c', port, community: 'public' } };
}

function dispatch(targets: DeviceAccess[], spec: JobSpec, extra: Partial<JobDispatch> = {}): JobDispatch {
  return {
    ...spec,
    jobId: randomUUID(),
    tenantId: TENANT_ID,
    targets,
    deadline: new Date(Date.now() + 3_600_000).toISOString(),
    createdAt: new Date().toISOString(),
    ...extra,
  } as JobDispatch;
}

const get = (oids: string[], params: Record<string, unknown> = {}) =>
  ({
    kind: 'snmp.get',
    params: { oids, targetBudgetMs: SNMP_DEFAULTS.targetBudgetMs, ...params },
  }) as JobSpec;
const slowWalk = () =>
  ({
    kind: 'snmp.walk',
    params: { oid: SIM_SLOW_ROOT, method: 'next', targetBudgetMs: 60_000, maxVarbinds: 1000 },
  }) as JobSpec;

function resultsOf(store: Store, jobId: string) {
  return outboxResults(store).filter((r) => r.jobId === jobId.toLowerCase());
}

/** Peak concurrency seen through `started`/`done` progress, overall and per device. */
function peaks(progress: readonly ProgressEvent[]) {
  let running = 0;
  let peak = 0;
  const perDevice = new Map<string, number>();
  let devicePeak = 0;
  for (const e of progress) {
    if (e.state === 'varbinds') continue;
    const delta = e.state === 'started' ? 1 : -1;
    running += delta;
    const n = (perDevice.get(e.deviceId) ?? 0) + delta;
    perDevice.set(e.deviceId, n);
    peak = Math.max(peak, running);
    devicePeak = Math.max(devicePeak, n);
  }
  return { peak, devicePeak };
}

describe('Executor', () => {
  it('runs a queued target and reports it once, with progress and an outbox wake-up', async () => {
    const h = harness();
    const device = simDevice();
    const d = dispatch([device], get([SYS_DESCR]));
    h.store.inbox.put(d);
    await h.executor.start();
    await until(() => resultsOf(h.store, d.jobId).length === 1);
    const [result] = resultsOf(h.store, d.jobId);
    expect(result).toMatchObject({ status: 'succeeded', deviceId: device.deviceId });
    expect(result?.varbinds?.[0]).toMatchObject({ oid: SYS_DESCR, value: SIM_GOLDEN.sysDescr });
    expect(result?.part).toBeUndefined();
    expect(h.store.inbox.get(d.jobId, device.deviceId)?.state).toBe('done');
    expect(h.outboxCalls()).toBeGreaterThanOrEqual(1);
    const ids = { jobId: d.jobId.toLowerCase(), deviceId: device.deviceId };
    expect(h.progress.map((e) => e.state)).toEqual(['started', 'done']);
    for (const e of h.progress) expect(e).toMatchObject(ids);
  });

  it('picks up targets stored after start when woken', async () => {
    const h = harness();
    await h.executor.start();
    const d = dispatch([simDevice(), simDevice()], get([SYS_DESCR]));
    h.store.inbox.put(d);
    h.executor.wake();
    await until(() => resultsOf(h.store, d.jobId).length === 2);
    expect(resultsOf(h.store, d.jobId).every((r) => r.status === 'succeeded')).toBe(true);
  });

  it('keeps to the global and per-device bounds', async () => {
    const h = harness({ global: 3, perDevice: 1 });
    // Four devices (all answered by the simulator), three slow targets each.
    const devices = Array.from({ length: 4 }, () => simDevice());
    const jobs = Array.from({ length: 3 }, () => dispatch(devices, get([SLOW_SCALAR])));
    for (const d of jobs) h.store.inbox.put(d);
    await h.executor.start();
    await until(() => outboxResults(h.store).length === 12, 20_000, '12 results');
    expect(outboxResults(h.store).every((r) => r.status === 'succeeded')).toBe(true);
    expect(peaks(h.progress)).toEqual({ peak: 3, devicePeak: 1 });
  });

  it('runs up to perDevice targets of one device at once', async () => {
    const h = harness({ global: 8, perDevice: 2 });
    const device = simDevice();
    const jobs = Array.from({ length: 5 }, () => dispatch([device], get([SLOW_SCALAR])));
    for (const d of jobs) h.store.inbox.put(d);
    await h.executor.start();
    await until(() => outboxResults(h.store).length === 5, 20_000, '5 results');
    expect(peaks(h.progress)).toEqual({ peak: 2, devicePeak: 2 });
  });

  it('does not let a dead device hold up the others', async () => {
    const h = harness({ global: 3, perDevice: 2 });
    const dead = simDevice(randomUUID(), await deadPort());
    const live = simDevice();
    const deadJobs = Array.from({ length: 4 }, () =>
      dispatch([dead], get([SYS_DESCR], { timeoutMs: 3000, retries: 0 })),
    );
    const liveJobs = Array.from({ length: 6 }, () => dispatch([live], get([SYS_DESCR])));
    // The dead device's targets are first in the inbox.
    for (const d of [...deadJobs, ...liveJobs]) h.store.inbox.put(d);
    await h.executor.start();
    const ofDevice = (id: string) => outboxResults(h.store).filter((r) => r.deviceId === id);
    await until(() => ofDevice(live.deviceId).length === 6, 20_000, 'the live device');
    // The dead device holds its two slots; the third served every live target meanwhile.
    expect(ofDevice(dead.deviceId)).toHaveLength(0);
    expect(ofDevice(live.deviceId).every((r) => r.status === 'succeeded')).toBe(true);
    await until(() => ofDevice(dead.deviceId).length === 4, 20_000, 'the dead device');
    for (const r of ofDevice(dead.deviceId)) {
      expect(r).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
    }
    expect(peaks(h.progress)).toEqual({ peak: 3, devicePeak: 2 });
  });

  it('reports budget with what was read when the target budget runs out', async () => {
    const h = harness({ targetBudgetMs: 1000 });
    const device = simDevice();
    const d = dispatch([device], slowWalk());
    h.store.inbox.put(d);
    const started = Date.now();
    await h.executor.start();
    await until(() => resultsOf(h.store, d.jobId).length === 1);
    // The whole walk would take 20 × 300 ms.
    expect(Date.now() - started).toBeLessThan(5000);
    const [result] = resultsOf(h.store, d.jobId);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'budget' } });
    expect(result?.varbinds?.length).toBeGreaterThan(0);
    expect(result?.varbinds?.length).toBeLessThan(SIM_SLOW_COUNT);
  });

  it('throttles walk progress and reports started, varbinds and done', async () => {
    const h = harness({ progressIntervalMs: 700, targetBudgetMs: 2000 });
    const d = dispatch([simDevice()], slowWalk());
    h.store.inbox.put(d);
    await h.executor.start();
    await until(() => resultsOf(h.store, d.jobId).length === 1);
    const states = h.progress.map((e) => e.state);
    expect(states[0]).toBe('started');
    expect(states.at(-1)).toBe('done');
    const pages = resultsOf(h.store, d.jobId)[0]?.varbinds?.length ?? 0;
    const varbindEvents = states.filter((s) => s === 'varbinds').length;
    // A page every 300 ms for 2 s (one event each unthrottled), but at most one event per 700 ms.
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(varbindEvents).toBeGreaterThanOrEqual(1);
    expect(varbindEvents).toBeLessThanOrEqual(3);
  });

  it('cancels queued targets at once and aborts running ones, which report what they read', async () => {
    const h = harness({ global: 1, perDevice: 1 });
    const running = dispatch([simDevice()], slowWalk());
    const queued = dispatch([simDevice(), simDevice()], get([SYS_DESCR]));
    h.store.inbox.put(running);
    h.store.inbox.put(queued);
    await h.executor.start();
    await until(() => h.progress.some((e) => e.state === 'varbinds'), 5000, 'walk progress');

    h.executor.cancel({ jobId: queued.jobId });
    const cancelled = resultsOf(h.store, queued.jobId);
    expect(cancelled).toHaveLength(2);
    for (const r of cancelled) expect(r).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    expect(resultsOf(h.store, running.jobId)).toHaveLength(0);

    h.executor.cancel({ jobId: running.jobId.toUpperCase() });
    await until(() => resultsOf(h.store, running.jobId).length === 1, 2000, 'cancelled walk result');
    const [walk] = resultsOf(h.store, running.jobId);
    expect(walk).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    expect(walk?.varbinds?.length).toBeGreaterThan(0);
    expect(walk?.varbinds?.length).toBeLessThan(SIM_SLOW_COUNT);
    expect(h.store.inbox.counts()).toMatchObject({ queued: 0, running: 0, done: 1, cancelled: 2 });
  });

  it('cancels only the targets named', async () => {
    const h = harness({ global: 1, perDevice: 1 });
    const blocker = dispatch([simDevice()], get([SLOW_SCALAR]));
    const [a, b] = [simDevice(), simDevice()];
    const job = dispatch([a, b], get([SYS_DESCR]));
    h.store.inbox.put(blocker);
    h.store.inbox.put(job);
    await h.executor.start();
    h.executor.cancel({ jobId: job.jobId, targetIds: [b.deviceId] });
    await until(() => resultsOf(h.store, job.jobId).length === 2);
    const byDevice = new Map(resultsOf(h.store, job.jobId).map((r) => [r.deviceId, r]));
    expect(byDevice.get(a.deviceId)?.status).toBe('succeeded');
    expect(byDevice.get(b.deviceId)?.error?.code).toBe('cancelled');
  });

  it('ignores an invalid cancel', async () => {
    const h = harness();
    await h.executor.start();
    expect(() => h.executor.cancel({ jobId: 'not-a-uuid' })).not.toThrow();
  });

  it('reports targets whose deadline passed while queued as expired, and never runs them', async () => {
    const h = harness({ global: 1, perDevice: 1 });
    const stale = dispatch([simDevice()], get([SYS_DESCR]), {
      deadline: new Date(Date.now() - 1000).toISOString(),
    });
    const blocker = dispatch([simDevice()], slowWalk());
    const soon = dispatch([simDevice()], get([SYS_DESCR]), {
      deadline: new Date(Date.now() + 600).toISOString(),
    });
    for (const d of [stale, blocker, soon]) h.store.inbox.put(d);
    await h.executor.start();
    // Already past its deadline at start.
    expect(resultsOf(h.store, stale.jobId)).toMatchObject([{ status: 'failed', error: { code: 'expired' } }]);
    // Waits behind the walk until its deadline passes.
    await until(() => resultsOf(h.store, soon.jobId).length === 1, 3000, 'expired result');
    expect(resultsOf(h.store, soon.jobId)[0]?.error?.code).toBe('expired');
    expect(resultsOf(h.store, blocker.jobId)).toHaveLength(0);
    const startedJobs = new Set(h.progress.filter((e) => e.state === 'started').map((e) => e.jobId));
    expect(startedJobs).toEqual(new Set([blocker.jobId.toLowerCase()]));
    h.executor.cancel({ jobId: blocker.jobId });
  });

  it('fails tr181 targets as not-supported and targets without SNMP access as config', async () => {
    const h = harness();
    const device = simDevice();
    const tr181 = dispatch(
      [{ deviceId: device.deviceId, address: '127.0.0.1', tr181: { url: 'http://127.0.0.1:7547/' } }],
      { kind: 'tr181.get', params: { parameters: ['Device.DeviceInfo.SoftwareVersion'] } } as JobSpec,
    );
    const noSnmp = dispatch([{ deviceId: randomUUID(), address: '127.0.0.1' }], get([SYS_DESCR]));
    h.store.inbox.put(tr181);
    h.store.inbox.put(noSnmp);
    await h.executor.start();
    await until(() => outboxResults(h.store).length === 2);
    const [notSupported] = resultsOf(h.store, tr181.jobId);
    expect(notSupported).toMatchObject({ status: 'failed', error: { code: 'not-supported' } });
    expect(notSupported?.error?.message).toContain('tr181.get');
    expect(resultsOf(h.store, noSnmp.jobId)[0]).toMatchObject({
      status: 'failed',
      error: { code: 'config' },
    });
    expect(h.progress.filter((e) => e.state === 'done')).toHaveLength(2);
  });

  it('turns a failure inside the agent into an internal result', async () => {
    const closed = new SessionPool();
    closed.close();
    const h = harness({ pool: closed });
    const d = dispatch([simDevice()], get([SYS_DESCR]));
    h.store.inbox.put(d);
    await h.executor.start();
    await until(() => resultsOf(h.store, d.jobId).length === 1);
    expect(resultsOf(h.store, d.jobId)[0]).toMatchObject({ status: 'failed', error: { code: 'internal' } });
  });

  it('reports each target once after a crash left some running', async () => {
    const dir = join(tempDir('drm-executor-'), 'data');
    const devices = [simDevice(), simDevice(), simDevice()];
    const d = dispatch(devices, get([SYS_DESCR]));
    const before = Store.open(dir);
    before.inbox.put(d);
    // As if the process died mid-run: two targets were started, none completed.
    expect(before.inbox.markRunning(d.jobId, devices[0]?.deviceId ?? '')).toBe(true);
    expect(before.inbox.markRunning(d.jobId, devices[1]?.deviceId ?? '')).toBe(true);
    before.close();

    const store = Store.open(dir);
    expect(store.report.requeued).toBe(2);
    const h = harness({ store });
    await h.executor.start();
    await until(() => resultsOf(store, d.jobId).length === 3);
    await h.executor.stop();
    // A later start finds nothing left to run.
    const again = harness({ store });
    await again.executor.start();
    again.executor.wake();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const results = resultsOf(store, d.jobId);
    expect(results.map((r) => r.deviceId).sort()).toEqual(devices.map((x) => x.deviceId).sort());
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect(store.inbox.get(d.jobId, devices[0]?.deviceId ?? '')?.attempts).toBe(2);
    expect(store.inbox.get(d.jobId, devices[2]?.deviceId ?? '')?.attempts).toBe(1);
  });

  it('on stop lets fast targets finish, aborts slow ones without a result, and runs them after restart', async () => {
    const dir = join(tempDir('drm-executor-'), 'data');
    const store = Store.open(dir);
    const h = harness({ store, graceMs: 400 });
    const fast = dispatch([simDevice()], get([SLOW_SCALAR]));
    const slow = dispatch([simDevice()], slowWalk());
    const later = dispatch([simDevice()], get([SYS_DESCR]));
    store.inbox.put(fast);
    store.inbox.put(slow);
    await h.executor.start();
    await until(() => h.progress.filter((e) => e.state === 'started').length === 2);
    store.inbox.put(later);
    const stopping = Date.now();
    await h.executor.stop();
    expect(Date.now() - stopping).toBeLessThan(3000);
    expect(resultsOf(store, fast.jobId)).toHaveLength(1);
    expect(resultsOf(store, slow.jobId)).toHaveLength(0);
    expect(resultsOf(store, later.jobId)).toHaveLength(0);
    // Queued again at once, and the interrupted start not counted as an attempt.
    expect(store.inbox.get(slow.jobId, slow.targets[0]?.deviceId ?? '')).toMatchObject({
      state: 'queued',
      attempts: 0,
    });
    // Nothing runs after stop, even when woken.
    h.executor.wake();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(store.inbox.get(later.jobId, later.targets[0]?.deviceId ?? '')?.state).toBe('queued');
    open.splice(open.indexOf(h), 1);
    store.close();

    const reopened = Store.open(dir);
    expect(reopened.report.requeued).toBe(0);
    const next = harness({ store: reopened, targetBudgetMs: 1000 });
    await next.executor.start();
    await until(
      () => resultsOf(reopened, slow.jobId).length === 1 && resultsOf(reopened, later.jobId).length === 1,
    );
    expect(resultsOf(reopened, slow.jobId)[0]?.error?.code).toBe('budget');
    expect(resultsOf(reopened, fast.jobId)).toHaveLength(1);
  });
});

describe('Executor with a large walk', () => {
  const ROWS = 400;
  /** 500 bytes that are not text: each travels as 1000 hex digits. */
  const address = (i: number) => Buffer.alloc(500, i % 256).fill(0xff, 0, 1);
  const IF_PHYS_ADDRESS = '1.3.6.1.2.1.2.2.1.6';
  let big: SnmpSimulator;

  beforeAll(async () => {
    big = await startSnmpSimulator();
    const mib = big.mib;
    for (let i = 4; i < 4 + ROWS; i++) {
      // RFC 2863 ifEntry, 22 columns; ifPhysAddress (no size limit) is long so the walk is several hundred KiB.
      mib.addTableRow('ifEntry', [
        ...[i, `port ${i}`, 6, 1500, 1_000_000_000],
        ...[address(i), 1, 1, 0, i],
        ...[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '0.0'],
      ]);
    }
  });

  afterAll(async () => {
    await big?.close();
  });

  it('splits the result into parts under 128 KiB whose union is the whole walk', {
    timeout: 60_000,
  }, async () => {
    const h = harness();
    const device = simDevice(randomUUID(), big.port);
    const d = dispatch([device], {
      kind: 'snmp.walk',
      params: { oid: IF_PHYS_ADDRESS, maxRepetitions: 20 },
    } as JobSpec);
    h.store.inbox.put(d);
    await h.executor.start();
    await until(() => h.store.inbox.get(d.jobId, device.deviceId)?.state === 'done', 50_000, 'walk');
    const parts = resultsOf(h.store, d.jobId);
    expect(parts[0]?.error?.message).toBeUndefined();
    expect(parts.length).toBeGreaterThanOrEqual(3);
    const first = parts[0];
    for (const [index, part] of parts.entries()) {
      ResultRecord.parse(part);
      expect(part.part).toEqual({ index, count: parts.length });
      expect(Buffer.byteLength(JSON.stringify(part))).toBeLessThanOrEqual(128 * 1024);
      expect(part).toMatchObject({
        status: 'succeeded',
        startedAt: first?.startedAt,
        finishedAt: first?.finishedAt,
      });
    }
    expect(new Set(parts.map((p) => p.id)).size).toBe(parts.length);
    const union = parts.flatMap((p) => p.varbinds ?? []);
    const expected = [
      ...SIM_GOLDEN.ifPhysAddress,
      ...Array.from({ length: ROWS }, (_, k) => address(k + 4).toString('hex')),
    ];
    expect(union.map((vb) => vb.value)).toEqual(expected);
    expect(union.map((vb) => vb.oid)).toEqual(expected.map((_, k) => `${IF_PHYS_ADDRESS}.${k + 1}`));
  });
});

describe('toResultRecords', () => {
  const key = { jobId: randomUUID(), deviceId: randomUUID() };
  const at = '2025-06-01T12:00:00.000Z';
  const vb = (i: number, size = 10): Varbind => ({
    oid: `1.3.6.1.4.1.99999.5.${i}`,
    type: 'OctetString',
    value: 'v'.repeat(size),
  });
  const outcome = (varbinds?: Varbind[], error?: ResultRecord['error']): TargetOutcome => ({
    status: error ? 'failed' : 'succeeded',
    startedAt: at,
    finishedAt: at,
    varbinds,
    error,
  });

  it('keeps a small result whole', () => {
    const records = toResultRecords(key, outcome([vb(1), vb(2)]), { now: Date.now() });
    expect(records).toHaveLength(1);
    expect(records[0]?.part).toBeUndefined();
    expect(ResultRecord.parse(records[0]).varbinds).toHaveLength(2);
  });

  it('gives a failure without data no varbinds at all', () => {
    const [record] = toResultRecords(key, outcome(undefined, { code: 'timeout', message: 'no answer' }), {
      now: Date.now(),
    });
    expect(record).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
    expect(record).not.toHaveProperty('varbinds');
  });

  it.each([
    [100, 1000, 2048],
    [400, 300, 16 * 1024],
    [3, 5000, 4096], // each varbind alone is larger than the bound: one per part
  ])(
    'splits %i varbinds of %i characters under %i bytes, in order, error on every part',
    (n, size, maxBytes) => {
      const all = Array.from({ length: n }, (_, i) => vb(i, size));
      const error = { code: 'limit', message: 'maxVarbinds reached' };
      const records = toResultRecords(key, outcome(all, error), { now: Date.now(), maxBytes });
      expect(records.length).toBeGreaterThan(1);
      for (const [index, r] of records.entries()) {
        ResultRecord.parse(r);
        expect(r.part).toEqual({ index, count: records.length });
        expect(r.error).toEqual(error);
        if ((r.varbinds?.length ?? 0) > 1)
          expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThanOrEqual(maxBytes);
      }
      expect(records.flatMap((r) => r.varbinds ?? [])).toEqual(all);
      expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    },
  );
});
