import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { cleanupDirs, openStore, result, sample, sizeOf, tempDir } from './fixtures.js';

const open: Store[] = [];
function track(store: Store): Store {
  open.push(store);
  return store;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  cleanupDirs();
});

const ALL = Number.MAX_SAFE_INTEGER;
const jobResult = () => result(randomUUID(), randomUUID());
const ids = (store: Store) => store.outbox.peekBatch(10_000, ALL).map((e) => e.id);

/** Rows and the running totals must agree (the totals are kept by triggers). */
function expectTotalsConsistent(store: Store): void {
  const real = store.db
    .prepare(
      `SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes,
              coalesce(sum(kind = 'result'), 0) AS results FROM outbox`,
    )
    .get() as { count: number; bytes: number; results: number };
  const stats = store.outbox.stats();
  expect({ count: stats.count, bytes: stats.bytes, results: stats.results }).toEqual(real);
}

describe('outbox', () => {
  it('keeps append order across results and samples, and reads rows back validated', () => {
    let now = Date.parse('2025-03-01T12:00:00.000Z');
    const store = track(openStore({ now: () => now }));
    const items = [sample(), jobResult(), sample(), jobResult()];
    for (const item of items) {
      store.outbox.append(item);
      now += 1000;
    }
    const batch = store.outbox.peekBatch(10, ALL);
    expect(batch.map((e) => e.item)).toEqual(items);
    expect(batch.map((e) => e.kind)).toEqual(['sample', 'result', 'sample', 'result']);
    expect(batch.map((e) => e.bytes)).toEqual(items.map(sizeOf));
    expect(batch[0]!.createdAt).toBe('2025-03-01T12:00:00.000Z');
    expect(store.outbox.stats()).toEqual({
      count: 4,
      bytes: items.reduce((n, i) => n + sizeOf(i), 0),
      oldestAt: '2025-03-01T12:00:00.000Z',
      dropped: 0,
      evicted: 0,
      refused: 0,
      results: 2,
      samples: 2,
      maxBytes: 256 * 1024 * 1024,
    });
  });

  it('batches by item count and by bytes, never returning an empty batch while items wait', () => {
    const store = track(openStore());
    const items = Array.from({ length: 10 }, () => sample(100));
    store.outbox.appendMany(items);
    const size = sizeOf(items[0]!);
    expect(store.outbox.peekBatch(3, ALL)).toHaveLength(3);
    expect(store.outbox.peekBatch(100, size * 4 + 1)).toHaveLength(4);
    expect(store.outbox.peekBatch(100, size * 4)).toHaveLength(4);
    expect(store.outbox.peekBatch(100, size * 4 - 1)).toHaveLength(3);
    // One item larger than the limit still goes out alone.
    expect(store.outbox.peekBatch(100, 10)).toHaveLength(1);
    expect(store.outbox.peekBatch(0, ALL)).toEqual([]);
  });

  it('reads the next batch after a cursor while one is in flight', () => {
    const store = track(openStore());
    store.outbox.appendMany(Array.from({ length: 5 }, () => sample()));
    const first = store.outbox.peekBatch(2, ALL);
    const second = store.outbox.peekBatch(2, ALL, { after: first.at(-1)!.seq });
    expect([...first, ...second].map((e) => e.id)).toEqual(ids(store).slice(0, 4));
  });

  it('deletes acked items only; unknown ids are ignored', () => {
    const store = track(openStore());
    const items = [sample(), jobResult(), sample()];
    store.outbox.appendMany(items);
    expect(store.outbox.ack([items[0]!.id, items[1]!.id, randomUUID()])).toBe(2);
    expect(ids(store)).toEqual([items[2]!.id]);
    expect(store.outbox.ack([])).toBe(0);
    expectTotalsConsistent(store);
  });

  it('stores an id once: appending it again is a no-op', () => {
    const store = track(openStore());
    const item = jobResult();
    expect(store.outbox.append(item)).toEqual({ stored: 1, duplicates: 0, evicted: 0, refused: 0 });
    expect(store.outbox.append(item)).toEqual({ stored: 0, duplicates: 1, evicted: 0, refused: 0 });
    expect(store.outbox.stats().count).toBe(1);
  });

  it('refuses an invalid record without storing any of its batch', () => {
    const store = track(openStore());
    const bad = { ...sample(), id: 'not-a-uuid' };
    expect(() => store.outbox.appendMany([sample(), bad])).toThrow();
    expect(store.outbox.stats().count).toBe(0);
  });

  it('drops the oldest samples first when full, never results, and counts every drop', () => {
    const s = sizeOf(sample(200));
    const store = track(openStore({ outboxMaxBytes: s * 5 }));
    const samples = Array.from({ length: 5 }, () => sample(200));
    const r1 = jobResult();
    store.outbox.appendMany(samples);
    expect(store.outbox.stats().bytes).toBe(s * 5);

    // A result needs room: the oldest samples go, as many as needed.
    const outcome = store.outbox.append(r1);
    expect(outcome.evicted).toBe(Math.ceil(sizeOf(r1) / s));
    expect(ids(store)).toEqual([...samples.slice(outcome.evicted).map((x) => x.id), r1.id]);
    // A new sample pushes out the oldest sample, not the result.
    const newer = sample(200);
    expect(store.outbox.append(newer)).toMatchObject({ stored: 1, evicted: 1 });
    expect(ids(store)).toContain(r1.id);
    expect(ids(store).at(-1)).toBe(newer.id);
    expect(store.outbox.stats().bytes).toBeLessThanOrEqual(s * 5);
    expect(store.outbox.stats()).toMatchObject({
      dropped: outcome.evicted + 1,
      evicted: outcome.evicted + 1,
    });
    expectTotalsConsistent(store);
  });

  it('with only results left, refuses new samples (counted) and still stores results past the bound', () => {
    const r = jobResult();
    const store = track(openStore({ outboxMaxBytes: sizeOf(r) + 10 }));
    store.outbox.append(r);
    expect(store.outbox.append(sample())).toEqual({ stored: 0, duplicates: 0, evicted: 0, refused: 1 });
    const more = [jobResult(), jobResult()];
    expect(store.outbox.appendMany(more)).toMatchObject({ stored: 2, refused: 0 });
    expect(ids(store)).toEqual([r.id, ...more.map((x) => x.id)]);
    expect(store.outbox.stats()).toMatchObject({ count: 3, results: 3, samples: 0, dropped: 1, refused: 1 });
    expect(store.outbox.stats().bytes).toBeGreaterThan(store.outbox.maxBytes);
  });

  it('keeps older samples when evicting them all would still not make room for a new one', () => {
    const r = jobResult();
    const small = sample();
    const store = track(openStore({ outboxMaxBytes: sizeOf(r) + sizeOf(small) + 50 }));
    store.outbox.appendMany([small, r]);
    const huge = sample(400);
    expect(store.outbox.append(huge)).toMatchObject({ stored: 0, evicted: 0, refused: 1 });
    expect(ids(store)).toEqual([small.id, r.id]);
  });

  it('persists the drop counters and totals across a reopen', () => {
    const dir = join(tempDir(), 'data');
    const store = Store.open(dir, { outboxMaxBytes: sizeOf(sample()) * 2 });
    store.outbox.appendMany([sample(), sample(), sample(), sample()]);
    expect(store.outbox.stats()).toMatchObject({ count: 2, dropped: 2 });
    store.close();
    const again = track(Store.open(dir, { outboxMaxBytes: 1024 }));
    expect(again.outbox.stats()).toMatchObject({ count: 2, dropped: 2, evicted: 2, maxBytes: 1024 });
    expectTotalsConsistent(again);
  });

  it('never reuses a sequence number, even after the outbox drained', () => {
    const store = track(openStore());
    store.outbox.appendMany([sample(), sample()]);
    const before = store.outbox.peekBatch(10, ALL);
    store.outbox.ack(before.map((e) => e.id));
    store.outbox.append(sample());
    const after = store.outbox.peekBatch(10, ALL, { after: before.at(-1)!.seq });
    expect(after).toHaveLength(1);
    expect(after[0]!.seq).toBe(before.at(-1)!.seq + 1);
  });

  it('moves a row that fails validation to the quarantine instead of sending it', () => {
    const store = track(openStore());
    const items = [sample(), jobResult(), sample()];
    store.outbox.appendMany(items);
    store.db.prepare(`UPDATE outbox SET body = '{"kind":"result"' WHERE id = ?`).run(items[1]!.id);
    store.db
      .prepare(`UPDATE outbox SET body = json_set(body, '$.id', ?) WHERE id = ?`)
      .run(randomUUID(), items[2]!.id);
    expect(store.outbox.peekBatch(10, ALL).map((e) => e.id)).toEqual([items[0]!.id]);
    expect(store.quarantine.count()).toBe(2);
    expect(store.outbox.stats().count).toBe(1);
    expectTotalsConsistent(store);
  });
});
