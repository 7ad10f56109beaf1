import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ConfigSync, type DeviceAccess, type SampleRecord, SNMP_DEFAULTS } from '@drm/protocol';
import { ConcurrencyLimiter } from '../../src/components/limiter.js';
import { Scheduler } from '../../src/components/scheduler.js';
import { SessionPool } from '../../src/drivers/snmp/index.js';
import { Store } from '../../src/store/index.js';
import {
  SIM_BINARY_OID,
  SIM_GOLDEN,
  SIM_WRITABLE,
  type SnmpSimulator,
  startSnmpSimulator,
} from '../helpers/snmp-simulator.js';
import { cleanupDirs, tempDir } from '../store/fixtures.js';
import { deadPort, outboxSamples, quietLog, until } from './harness.js';

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
const IF_HC_IN_OCTETS = '1.3.6.1.2.1.31.1.1.1.6';
/** Fake clock origin: a whole minute, so expected times read easily. */
const T0 = Date.parse('2025-06-01T12:00:00.000Z');
/** setImmediate stays real: `until` polls with it while time is frozen. */
const FAKE: Parameters<typeof vi.useFakeTimers>[0] = {
  toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  now: T0,
};

let sim: SnmpSimulator;

beforeAll(async () => {
  sim = await startSnmpSimulator();
});

afterAll(async () => {
  await sim?.close();
  cleanupDirs();
});

/** The real limiter, noting when each poll asks for a slot: that is when the poll starts. */
class RecordingLimiter extends ConcurrencyLimiter {
  readonly starts: { deviceId: string; at: number }[] = [];
  override acquire(deviceId: string, signal?: AbortSignal): Promise<() => void> {
    this.starts.push({ deviceId, at: Date.now() });
    return super.acquire(deviceId, signal);
  }
}

interface Harness {
  store: Store;
  scheduler: Scheduler;
  pool: SessionPool;
  limiter: RecordingLimiter;
  outboxCalls: () => number;
  /** Poll start times, of one device or all. */
  startTimes: (deviceId?: string) => number[];
  /**
   * Moves fake time by `ms`, then lets the polls it started finish on real I/O while time
   * stands still. Steps are at most 1 s, shorter than an SNMP timeout, so no request in flight
   * is ever timed out by a jump of the clock.
   */
  step: (ms: number) => Promise<void>;
  stepTo: (at: number) => Promise<void>;
}

const open: Harness[] = [];

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.scheduler.stop();
    h.pool.close();
    h.store.close();
  }
  vi.useRealTimers();
});

function harness(opts: { random?: () => number; store?: Store; limiter?: RecordingLimiter } = {}): Harness {
  const store = opts.store ?? Store.open(join(tempDir('drm-scheduler-'), 'data'));
  const pool = new SessionPool();
  const limiter = opts.limiter ?? new RecordingLimiter({ global: 8, perDevice: 2 });
  let outbox = 0;
  const scheduler = new Scheduler({
    store,
    pool,
    limiter,
    log: quietLog,
    random: opts.random ?? (() => 0),
    onOutbox: () => {
      outbox += 1;
    },
  });
  const settle = () => until(() => limiter.active === 0 && limiter.waiting === 0, 10_000, 'polls to finish');
  const step = async (ms: number) => {
    let left = ms;
    do {
      const chunk = Math.min(left, 1000);
      await vi.advanceTimersByTimeAsync(chunk);
      await settle();
      left -= chunk;
    } while (left > 0);
  };
  const h: Harness = {
    store,
    scheduler,
    pool,
    limiter,
    outboxCalls: () => outbox,
    startTimes: (deviceId) =>
      limiter.starts.filter((x) => deviceId === undefined || x.deviceId === deviceId).map((x) => x.at),
    step,
    stepTo: (at) => step(at - Date.now()),
  };
  open.push(h);
  return h;
}

function simDevice(port = sim.port): DeviceAccess {
  return { deviceId: randomUUID(), address: '127.0.0.1', snmp: { version: '2c', port, community: 'public' } };
}

type ScheduleInput = ConfigSync['schedules'][number];

function schedule(devices: DeviceAccess[], extra: Partial<ScheduleInput> = {}): ScheduleInput {
  return {
    id: randomUUID(),
    name: 'poll',
    deviceIds: devices.map((d) => d.deviceId),
    intervalSeconds: 60,
    jitterPct: 10,
    enabled: true,
    kind: 'snmp.get',
    params: { oids: [SYS_DESCR], targetBudgetMs: SNMP_DEFAULTS.targetBudgetMs },
    ...extra,
  } as ScheduleInput;
}

function configure(store: Store, devices: DeviceAccess[], schedules: ScheduleInput[]): void {
  const revision = store.desired.revision() + 1;
  expect(store.desired.put({ revision, devices, schedules }).stored).toBe(true);
}

describe('Scheduler', () => {
  it('turns every varbind into a typed sample, Counter64 with both values', async () => {
    const h = harness();
    const device = simDevice();
    const oids = [
      SYS_DESCR,
      '1.3.6.1.2.1.1.2.0',
      '1.3.6.1.2.1.1.3.0',
      '1.3.6.1.2.1.2.2.1.10.2',
      `${IF_HC_IN_OCTETS}.1`,
      `${IF_HC_IN_OCTETS}.2`,
      SIM_WRITABLE.Integer,
      SIM_WRITABLE.Gauge32,
      SIM_WRITABLE.IpAddress,
      SIM_WRITABLE.Opaque,
      SIM_BINARY_OID,
      '1.3.6.1.4.1.99999.7.0', // noSuchObject: no sample
    ];
    const s = schedule([device], { params: { oids, targetBudgetMs: 30_000 } } as Partial<ScheduleInput>);
    configure(h.store, [device], [s]);
    await h.scheduler.start();
    await until(() => outboxSamples(h.store).length === 11, 5000, '11 samples');
    const byOid = new Map(outboxSamples(h.store).map((x) => [x.oid, x]));
    const pick = (oid: string) => {
      const { oid: _o, name, type, valueNum, valueText } = byOid.get(oid) as SampleRecord;
      return { name, type, valueNum, valueText };
    };
    expect(pick(SYS_DESCR)).toEqual({
      name: 'SNMPv2-MIB::sysDescr.0',
      type: 'OctetString',
      valueNum: undefined,
      valueText: SIM_GOLDEN.sysDescr,
    });
    expect(pick('1.3.6.1.2.1.1.2.0')).toMatchObject({
      type: 'ObjectIdentifier',
      valueText: SIM_GOLDEN.sysObjectID,
    });
    expect(pick('1.3.6.1.2.1.1.3.0')).toMatchObject({ type: 'TimeTicks', valueNum: SIM_GOLDEN.sysUpTime });
    expect(pick('1.3.6.1.2.1.2.2.1.10.2')).toEqual({
      name: 'IF-MIB::ifInOctets.2',
      type: 'Counter32',
      valueNum: 4_294_967_295,
      valueText: undefined,
    });
    expect(pick(`${IF_HC_IN_OCTETS}.1`)).toEqual({
      name: 'IF-MIB::ifHCInOctets.1',
      type: 'Counter64',
      valueNum: 9_007_199_254_740_992, // the nearest double
      valueText: '9007199254740993', // exact
    });
    expect(pick(`${IF_HC_IN_OCTETS}.2`)).toMatchObject({
      type: 'Counter64',
      valueText: '18446744073709551615',
    });
    expect(pick(SIM_WRITABLE.Integer)).toMatchObject({ type: 'Integer', valueNum: 7, valueText: undefined });
    expect(pick(SIM_WRITABLE.Gauge32)).toMatchObject({ type: 'Gauge32', valueNum: 2 });
    expect(pick(SIM_WRITABLE.IpAddress)).toMatchObject({ type: 'IpAddress', valueText: '192.0.2.1' });
    expect(pick(SIM_WRITABLE.Opaque)).toMatchObject({ type: 'Opaque', valueText: '9f7804' });
    expect(pick(SIM_BINARY_OID)).toMatchObject({ type: 'OctetString', valueText: '00ff1080fe7f' });
    for (const x of outboxSamples(h.store)) {
      expect(x).toMatchObject({ kind: 'sample', scheduleId: s.id, deviceId: device.deviceId });
    }
    expect(h.outboxCalls()).toBe(1);
  });

  it('polls a walk schedule into one sample per instance', async () => {
    const h = harness();
    const device = simDevice();
    const s = schedule([device], {
      kind: 'snmp.walk',
      params: { oid: IF_HC_IN_OCTETS, method: 'bulk', maxVarbinds: 1000, targetBudgetMs: 30_000 },
    } as Partial<ScheduleInput>);
    configure(h.store, [device], [s]);
    await h.scheduler.start();
    await until(() => outboxSamples(h.store).length === 3);
    expect(outboxSamples(h.store).map((x) => [x.name, x.valueText])).toEqual(
      SIM_GOLDEN.ifHCInOctets.map((v, i) => [`IF-MIB::ifHCInOctets.${i + 1}`, v]),
    );
  });

  it('runs at its interval, each device late by up to jitterPct of it', async () => {
    vi.useFakeTimers(FAKE);
    const draws = [0.1, 0.5, 0.999, 0.9, 0, 0.25];
    const h = harness({ random: () => draws.shift() ?? 0 });
    const devices = [simDevice(), simDevice(), simDevice()];
    const s = schedule(devices, { intervalSeconds: 60, jitterPct: 10 });
    configure(h.store, devices, [s]);
    await h.scheduler.start();
    // Run 1 starts at T0; 10 % of 60 s spreads the devices over 6 s.
    await h.step(599);
    expect(h.limiter.starts).toEqual([]);
    await h.step(1);
    expect(h.startTimes()).toEqual([T0 + 600]);
    await h.step(5393);
    expect(h.startTimes()).toEqual([T0 + 600, T0 + 3000]);
    await h.step(1);
    const run1 = [T0 + 600, T0 + 3000, T0 + 5994];
    expect(h.startTimes()).toEqual(run1);
    expect(outboxSamples(h.store)).toHaveLength(3);
    expect(h.store.schedules.get(s.id)).toMatchObject({
      lastRunAt: new Date(T0).toISOString(),
      nextDueAt: new Date(T0 + 60_000).toISOString(),
    });
    // Run 2 at T0 + 60 s exactly, not at the last poll + 60 s.
    await h.stepTo(T0 + 59_999);
    expect(h.limiter.starts).toHaveLength(3);
    await h.stepTo(T0 + 66_000);
    const run2 = [T0 + 65_400, T0 + 60_000, T0 + 61_500];
    for (const [i, d] of devices.entries()) expect(h.startTimes(d.deviceId)).toEqual([run1[i], run2[i]]);
    expect(outboxSamples(h.store)).toHaveLength(6);
    expect(h.scheduler.stats()).toEqual([
      expect.objectContaining({ scheduleId: s.id, runs: 2, polls: 6, errors: 0, nextDueAt: T0 + 120_000 }),
    ]);
  });

  it('keeps every device within the jitter window over many runs', async () => {
    vi.useFakeTimers(FAKE);
    const h = harness({ random: Math.random });
    const devices = [simDevice(), simDevice()];
    const s = schedule(devices, { intervalSeconds: 10, jitterPct: 50 });
    configure(h.store, devices, [s]);
    await h.scheduler.start();
    const RUNS = 12;
    await h.stepTo(T0 + RUNS * 10_000 - 1);
    for (const d of devices) {
      const starts = h.startTimes(d.deviceId);
      expect(starts).toHaveLength(RUNS);
      for (const [run, at] of starts.entries()) {
        const nominal = T0 + run * 10_000;
        expect(at).toBeGreaterThanOrEqual(nominal);
        expect(at).toBeLessThan(nominal + 5000);
      }
    }
    expect(outboxSamples(h.store)).toHaveLength(RUNS * devices.length);
  });

  it('resumes from the stored state after a restart instead of polling at once', async () => {
    vi.useFakeTimers(FAKE);
    const h = harness();
    const device = simDevice();
    const s = schedule([device], { intervalSeconds: 60, jitterPct: 0 });
    configure(h.store, [device], [s]);
    // The previous process last ran it 20 s ago.
    h.store.schedules.record(s.id, { lastRunAt: new Date(T0 - 20_000), nextDueAt: new Date(T0 + 40_000) });
    await h.scheduler.start();
    await h.stepTo(T0 + 39_999);
    expect(h.limiter.starts).toEqual([]);
    await h.step(1);
    expect(h.startTimes()).toEqual([T0 + 40_000]);
    expect(outboxSamples(h.store)).toHaveLength(1);
  });

  it('runs an overdue schedule once, not once per missed interval', async () => {
    vi.useFakeTimers(FAKE);
    const h = harness();
    const device = simDevice();
    const s = schedule([device], { intervalSeconds: 60, jitterPct: 0 });
    configure(h.store, [device], [s]);
    // Down for ten intervals.
    h.store.schedules.record(s.id, { lastRunAt: new Date(T0 - 600_000), nextDueAt: new Date(T0 - 540_000) });
    await h.scheduler.start();
    await h.step(0);
    expect(h.startTimes()).toEqual([T0]);
    expect(h.store.schedules.get(s.id)).toMatchObject({
      lastRunAt: new Date(T0).toISOString(),
      nextDueAt: new Date(T0 + 60_000).toISOString(),
    });
    await h.stepTo(T0 + 59_999);
    expect(outboxSamples(h.store)).toHaveLength(1);
    await h.step(1);
    expect(h.startTimes()).toEqual([T0, T0 + 60_000]);
  });

  it('polls on its interval from now when the clock went back past its stored state', async () => {
    vi.useFakeTimers(FAKE);
    const h = harness();
    const device = simDevice();
    const s = schedule([device], { intervalSeconds: 60, jitterPct: 0 });
    configure(h.store, [device], [s]);
    // Stored while the clock was 30 days ahead (past what a Node timer can wait).
    const ahead = 30 * 24 * 3600_000;
    h.store.schedules.record(s.id, {
      lastRunAt: new Date(T0 + ahead),
      nextDueAt: new Date(T0 + ahead + 60_000),
    });
    await h.scheduler.start();
    await h.step(0);
    expect(h.startTimes()).toEqual([]);
    await h.stepTo(T0 + 60_000);
    await h.stepTo(T0 + 120_000);
    expect(h.startTimes()).toEqual([T0 + 60_000, T0 + 120_000]);
    expect(h.store.schedules.get(s.id)).toMatchObject({ lastRunAt: new Date(T0 + 120_000).toISOString() });
  });

  it('re-plans on reload without moving schedules whose interval did not change', async () => {
    vi.useFakeTimers(FAKE);
    const h = harness();
    // One device per schedule, all answered by the simulator, so start times tell them apart.
    const [k, sl, r, a] = [simDevice(), simDevice(), simDevice(), simDevice()];
    const kept = schedule([k], { intervalSeconds: 60, jitterPct: 0 });
    const slower = schedule([sl], { intervalSeconds: 60, jitterPct: 0 });
    const removed = schedule([r], { intervalSeconds: 60, jitterPct: 0 });
    const devices = [k, sl, r, a];
    configure(h.store, devices, [kept, slower, removed]);
    await h.scheduler.start();
    await h.stepTo(T0 + 30_000);
    expect(outboxSamples(h.store)).toHaveLength(3);

    const added = schedule([a], { intervalSeconds: 60, jitterPct: 0 });
    const oids = [SYS_DESCR, '1.3.6.1.2.1.1.5.0'];
    configure(h.store, devices, [
      { ...kept, name: 'renamed', params: { ...kept.params, oids } } as ScheduleInput,
      { ...slower, intervalSeconds: 120 },
      added,
    ]);
    h.scheduler.reload();
    await h.step(0);
    expect(h.startTimes(a.deviceId)).toEqual([T0 + 30_000]);

    await h.stepTo(T0 + 60_000);
    expect(h.startTimes(k.deviceId)).toEqual([T0, T0 + 60_000]);
    // The new params apply from the next run: two OIDs now.
    expect(outboxSamples(h.store).filter((x) => x.scheduleId === kept.id)).toHaveLength(3);
    expect(h.startTimes(sl.deviceId)).toEqual([T0]);

    await h.stepTo(T0 + 120_000); // the slower one: its new interval from its last run
    expect(h.startTimes(sl.deviceId)).toEqual([T0, T0 + 120_000]);
    expect(h.startTimes(r.deviceId)).toEqual([T0]);
    expect(h.startTimes(a.deviceId)).toEqual([T0 + 30_000, T0 + 90_000]);
    expect(
      h.scheduler
        .stats()
        .map((x) => x.scheduleId)
        .sort(),
    ).toEqual([kept.id, slower.id, added.id].sort());
  });

  it('does not poll disabled schedules', async () => {
    vi.useFakeTimers(FAKE);
    const h = harness();
    const device = simDevice();
    const s = schedule([device], { enabled: false, jitterPct: 0 });
    configure(h.store, [device], [s]);
    await h.scheduler.start();
    await h.step(180_000);
    expect(outboxSamples(h.store)).toHaveLength(0);
    expect(h.scheduler.stats()).toEqual([]);
  });

  it('counts failed polls per schedule and keeps going', async () => {
    const h = harness();
    const live = simDevice();
    const dead = simDevice(await deadPort());
    const noSnmp: DeviceAccess = { deviceId: randomUUID(), address: '127.0.0.1' };
    const s = schedule([dead, live, noSnmp], {
      params: { oids: [SYS_DESCR], timeoutMs: 200, retries: 0, targetBudgetMs: 30_000 },
    } as Partial<ScheduleInput>);
    configure(h.store, [live, dead, noSnmp], [s]);
    await h.scheduler.start();
    await until(() => h.scheduler.stats()[0]?.polls === 3);
    const [stats] = h.scheduler.stats();
    expect(stats).toMatchObject({ runs: 1, polls: 3, samples: 1, errors: 2 });
    expect(['timeout', 'config']).toContain(stats?.lastError?.code);
    expect(outboxSamples(h.store).map((x) => x.deviceId)).toEqual([live.deviceId]);
  });

  it('shares the limiter: polls wait for a free slot on their device', async () => {
    const limiter = new RecordingLimiter({ global: 1, perDevice: 1 });
    const h = harness({ limiter });
    const device = simDevice();
    const s = schedule([device], { jitterPct: 0 });
    configure(h.store, [device], [s]);
    const release = await limiter.acquire(device.deviceId);
    await h.scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(limiter.waiting).toBe(1);
    expect(outboxSamples(h.store)).toHaveLength(0);
    release();
    await until(() => outboxSamples(h.store).length === 1);
  });

  it('clears every timer on stop', async () => {
    vi.useFakeTimers(FAKE);
    const h = harness({ random: () => 0.5 });
    const device = simDevice();
    configure(h.store, [device], [schedule([device]), schedule([device], { intervalSeconds: 300 })]);
    await h.scheduler.start();
    await h.step(0); // the runs start; the polls wait for their jitter
    expect(vi.getTimerCount()).toBe(4);
    await h.scheduler.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(outboxSamples(h.store)).toHaveLength(0);
  });
});
