import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigSync } from '@drm/protocol';
import { Store } from '../../src/store/index.js';
import { cleanupDirs, openStore, sample, tempDir } from './fixtures.js';

const open: Store[] = [];
function track(store: Store): Store {
  open.push(store);
  return store;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  cleanupDirs();
});

const DEVICE = '0190a000-0000-7000-8000-00000000000b';

function config(revision: number, scheduleIds: string[] = []): ConfigSync {
  return {
    revision,
    devices: [{ deviceId: DEVICE, address: '192.0.2.1', snmp: { version: '2c', port: 161, community: 'c' } }],
    schedules: scheduleIds.map((id) => ({
      id,
      name: `poll ${id.slice(0, 4)}`,
      kind: 'snmp.get',
      deviceIds: [DEVICE],
      intervalSeconds: 60,
      jitterPct: 10,
      enabled: true,
      params: { oids: ['1.3.6.1.2.1.1.3.0'], targetBudgetMs: 30_000 },
    })),
  };
}

describe('desired state', () => {
  it('starts at revision -1 and stores a revision only if it is at least the one held', () => {
    const store = track(openStore());
    expect(store.desired.revision()).toBe(-1);
    expect(store.desired.current()).toBeNull();
    expect(store.desired.put(config(3))).toEqual({ stored: true, revision: 3, newPassword: false });
    expect(store.desired.put(config(2))).toEqual({ stored: false, revision: 3, newPassword: false });
    expect(store.desired.current()?.revision).toBe(3);

    const same = config(3, [randomUUID()]);
    expect(store.desired.put(same)).toEqual({ stored: true, revision: 3, newPassword: false });
    expect(store.desired.current()?.config).toEqual(same);
    expect(store.desired.put(config(7))).toEqual({ stored: true, revision: 7, newPassword: false });
    expect(store.desired.revision()).toBe(7);
  });

  it('refuses an invalid config without touching the one held', () => {
    const store = track(openStore());
    store.desired.put(config(1));
    const bad = { ...config(2), schedules: config(2, [randomUUID()]).schedules, devices: [] };
    expect(() => store.desired.put(bad)).toThrow(/not in devices/);
    expect(store.desired.revision()).toBe(1);
  });

  it('survives a reopen and is validated when read back', () => {
    const dir = join(tempDir(), 'data');
    const store = Store.open(dir);
    const c = config(5, [randomUUID()]);
    store.desired.put(c);
    store.close();
    const again = track(Store.open(dir));
    expect(again.desired.current()).toMatchObject({ revision: 5, config: c });

    again.db.prepare(`UPDATE desired_state SET body = json_set(body, '$.revision', 6)`).run();
    expect(again.desired.current()).toBeNull();
    expect(again.desired.revision()).toBe(-1); // the hub then sends the whole state again
    expect(again.quarantine.count()).toBe(1);
  });
});

describe('schedule state', () => {
  it('records runs and due times, keeping the last run when only the due time moves', () => {
    const dir = join(tempDir(), 'data');
    const store = Store.open(dir, { now: () => Date.parse('2025-03-01T12:00:00.000Z') });
    const id = randomUUID();
    expect(store.schedules.get(id)).toBeNull();
    store.schedules.record(id, {
      lastRunAt: '2025-03-01T12:00:00.000Z',
      nextDueAt: '2025-03-01T12:01:00.000Z',
    });
    store.schedules.record(id, { nextDueAt: new Date('2025-03-01T12:02:00.000Z') });
    store.close();

    const again = track(Store.open(dir));
    expect(again.schedules.get(id)).toEqual({
      scheduleId: id,
      lastRunAt: '2025-03-01T12:00:00.000Z',
      nextDueAt: '2025-03-01T12:02:00.000Z',
      updatedAt: '2025-03-01T12:00:00.000Z',
    });
    again.schedules.record(id, { lastRunAt: null, nextDueAt: '2025-03-01T12:00:30.000Z' });
    expect(again.schedules.get(id)?.lastRunAt).toBeNull();
  });

  it('stores a run and its samples together', () => {
    const store = track(openStore());
    const id = randomUUID();
    const samples = [sample(), sample()];
    const outcome = store.schedules.record(
      id,
      { lastRunAt: new Date(), nextDueAt: new Date(Date.now() + 60_000) },
      samples,
    );
    expect(outcome.stored).toBe(2);
    expect(store.outbox.peekBatch(10, 1e9).map((e) => e.id)).toEqual(samples.map((s) => s.id));
    // A bad sample rolls the whole run back: neither the run nor any sample is stored.
    const other = randomUUID();
    expect(() =>
      store.schedules.record(other, { nextDueAt: new Date() }, [sample(), { ...sample(), oid: 'nope' }]),
    ).toThrow();
    expect(store.schedules.get(other)).toBeNull();
    expect(store.outbox.stats().count).toBe(2);
  });

  it('lists schedules soonest first and forgets those a new desired state drops', () => {
    const store = track(openStore());
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    store.schedules.record(a, { nextDueAt: '2025-03-01T12:03:00.000Z' });
    store.schedules.record(b, { nextDueAt: '2025-03-01T12:01:00.000Z' });
    store.schedules.record(c, { nextDueAt: '2025-03-01T12:02:00.000Z' });
    expect(store.schedules.all().map((s) => s.scheduleId)).toEqual([b, c, a]);
    store.desired.put(config(1, [a, c]));
    expect(store.schedules.all().map((s) => s.scheduleId)).toEqual([c, a]);
  });

  it('treats a bad row as a schedule never run', () => {
    const store = track(openStore());
    const id = randomUUID();
    store.schedules.record(id, { nextDueAt: new Date() });
    store.db.prepare('UPDATE schedule_state SET next_due_at = -5').run();
    expect(store.schedules.all()).toEqual([]);
    expect(store.schedules.get(id)).toBeNull();
    expect(store.quarantine.count()).toBe(1);
  });
});
