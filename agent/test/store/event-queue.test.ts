import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, type TrapEvent, uuidv7 } from '@drm/protocol';
import { DB_FILE, SCHEMA_VERSION, Store } from '../../src/store/index.js';
import { cleanupDirs, openStore, tempDir, trapEvent } from './fixtures.js';

const open: Store[] = [];
function track(store: Store): Store {
  open.push(store);
  return store;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  cleanupDirs();
});

const trap = trapEvent;

/** A pino logger whose lines land in `lines`. */
function capturingLog(lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

describe('event queue', () => {
  it('returns events oldest first, exactly as appended, and deletes what is acked', () => {
    const store = track(openStore());
    const events = [
      trap({ receivedAt: '2025-03-01T12:00:00.000Z' }),
      trap({ pdu: 'inform', receivedAt: '2025-03-01T12:00:01.000Z' }),
      trap({
        version: '1',
        pdu: 'trapv1',
        trapOid: '1.3.6.1.4.1.8072.4.0.7',
        enterprise: '1.3.6.1.4.1.8072.4',
        agentAddress: '192.0.2.7',
        genericTrap: 6,
        specificTrap: 7,
        receivedAt: '2025-03-01T12:00:02.000Z',
      }),
    ];
    for (const e of events) expect(store.events.append(e)).toBe(true);
    expect(store.events.peek(10)).toEqual(events);
    expect(store.events.peek(2)).toEqual(events.slice(0, 2));
    expect(store.events.peek(0)).toEqual([]);
    const bytes = events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
    expect(store.events.stats()).toEqual({
      count: 3,
      bytes,
      oldestAt: '2025-03-01T12:00:00.000Z',
      dropped: 0,
    });

    expect(store.events.ack([events[0]!.id, events[2]!.id, uuidv7()])).toBe(2);
    expect(store.events.peek(10)).toEqual([events[1]]);
    expect(store.events.ack([])).toBe(0);
    expect(store.events.ack([events[1]!.id])).toBe(1);
    expect(store.events.stats()).toEqual({ count: 0, bytes: 0, dropped: 0 });
  });

  it('appends an id once', () => {
    const store = track(openStore());
    const e = trap();
    expect(store.events.append(e)).toBe(true);
    expect(store.events.append(e)).toBe(false);
    expect(store.events.stats().count).toBe(1);
  });

  it('refuses an invalid event and stores nothing', () => {
    const store = track(openStore());
    const bad = { ...trap(), trapOid: 'not an oid' } as TrapEvent;
    expect(() => store.events.append(bad)).toThrow(/trapOid/);
    const noId = { ...trap(), id: 'abc' } as TrapEvent;
    expect(() => store.events.append(noId)).toThrow();
    expect(store.events.stats()).toEqual({ count: 0, bytes: 0, dropped: 0 });
  });

  it('is bounded: the oldest events go first, counted, with one warning per minute', () => {
    const lines: Record<string, unknown>[] = [];
    let now = Date.parse('2025-03-01T12:00:00.000Z');
    const store = track(openStore({ eventQueueMax: 3, log: capturingLog(lines), now: () => now }));
    const events = Array.from({ length: 6 }, () => trap());
    for (const e of events.slice(0, 5)) store.events.append(e);
    expect(store.events.peek(10).map((e) => e.id)).toEqual(events.slice(2, 5).map((e) => e.id));
    expect(store.events.stats()).toMatchObject({ count: 3, dropped: 2 });
    const warnings = () => lines.filter((l) => l.msg === 'event queue full: oldest events dropped');
    expect(warnings()).toEqual([expect.objectContaining({ dropped: 1, max: 3, level: 40 })]);

    now += 61_000;
    store.events.append(events[5]!);
    expect(warnings().at(-1)).toMatchObject({ dropped: 2 });
    expect(warnings()).toHaveLength(2);
    // A duplicate needs no room and drops nothing.
    store.events.append(events[5]!);
    expect(store.events.stats()).toMatchObject({ count: 3, dropped: 3 });
  });

  it('is bounded in bytes too: the oldest events go first, counted, and the bytes survive a reopen', () => {
    const dir = join(tempDir(), 'data');
    const first = Store.open(dir, { eventQueueMaxBytes: MAX_MESSAGE_BYTES });
    // Events of ~100 KB: two fit the bound, a third pushes the oldest out.
    const big = () =>
      trap({
        varbinds: Array.from({ length: 100 }, (_, i) => ({
          oid: `1.3.6.1.4.1.99999.${i}`,
          type: 'OctetString' as const,
          value: 'b'.repeat(1000),
        })),
      });
    const events = [big(), big(), big()];
    for (const e of events) first.events.append(e);
    const size = (e: TrapEvent) => Buffer.byteLength(JSON.stringify(e));
    expect(first.events.peek(10).map((e) => e.id)).toEqual(events.slice(1).map((e) => e.id));
    expect(first.events.stats()).toMatchObject({
      count: 2,
      bytes: size(events[1]!) + size(events[2]!),
      dropped: 1,
    });
    first.close();
    const again = track(Store.open(dir, { eventQueueMaxBytes: MAX_MESSAGE_BYTES }));
    expect(again.events.stats()).toMatchObject({
      count: 2,
      bytes: size(events[1]!) + size(events[2]!),
      dropped: 1,
    });
    expect(again.events.ack(events.slice(1).map((e) => e.id))).toBe(2);
    expect(again.events.stats()).toMatchObject({ count: 0, bytes: 0 });
  });

  it('refuses a byte bound below one message', () => {
    expect(() => Store.open(join(tempDir(), 'data'), { eventQueueMaxBytes: MAX_MESSAGE_BYTES - 1 })).toThrow(
      /eventQueueMaxBytes/,
    );
  });

  it('keeps events and the drop count across a reopen', () => {
    const dir = join(tempDir(), 'data');
    const first = Store.open(dir, { eventQueueMax: 2 });
    const events = [trap(), trap(), trap()];
    for (const e of events) first.events.append(e);
    first.close();

    const again = track(Store.open(dir, { eventQueueMax: 2 }));
    expect(again.events.peek(10)).toEqual(events.slice(1));
    expect(again.events.stats()).toMatchObject({ count: 2, dropped: 1 });
    // The read-only view used by `status` sees the same.
    const reader = track(Store.openReadOnly(dir)!);
    expect(reader.events.stats()).toMatchObject({ count: 2, dropped: 1 });
  });

  it('moves a row that fails validation to the quarantine and goes on', () => {
    const store = track(openStore());
    const [a, b, c] = [trap(), trap(), trap()];
    for (const e of [a, b, c]) store.events.append(e!);
    store.db.prepare(`UPDATE event_queue SET body = '{"id": 1' WHERE id = ?`).run(a!.id);
    store.db
      .prepare('UPDATE event_queue SET body = ? WHERE id = ?')
      .run(JSON.stringify({ ...b, varbinds: [{ oid: '1.3', type: 'Counter64', value: -1 }] }), b!.id);
    expect(store.events.peek(10)).toEqual([c]);
    expect(store.quarantine.count()).toBe(2);
    const problems = store.db.prepare('SELECT source, row_key, problem FROM quarantine ORDER BY seq').all();
    expect(problems).toEqual([
      { source: 'event_queue', row_key: a!.id, problem: expect.stringMatching(/not JSON/) },
      { source: 'event_queue', row_key: b!.id, problem: expect.stringMatching(/varbinds/) },
    ]);
    expect(store.events.stats().count).toBe(1);
  });

  it('is emptied by reset, drop count included', () => {
    const store = track(openStore({ eventQueueMax: 1 }));
    store.events.append(trap());
    store.events.append(trap());
    expect(store.events.stats()).toMatchObject({ count: 1, dropped: 1 });
    store.reset();
    expect(store.events.stats()).toEqual({ count: 0, bytes: 0, dropped: 0 });
    expect(store.events.peek(10)).toEqual([]);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => openStore({ eventQueueMax: 0 })).toThrow(/eventQueueMax/);
    expect(() => openStore({ eventQueueMax: 1.5 })).toThrow(/eventQueueMax/);
  });

  it('arrives in a store written before it by a schema migration that keeps the rest', () => {
    const dir = join(tempDir(), 'data');
    const first = Store.open(dir);
    first.meta.set('probe', 'kept');
    first.close();
    // Take the file back to the first schema version, as an older agent left it.
    const raw = new Database(join(dir, DB_FILE));
    raw.exec(
      'DROP TABLE event_queue; DROP TABLE event_queue_totals; ALTER TABLE identity DROP COLUMN mqtt_password_previous;',
    );
    raw.pragma('user_version = 1');
    raw.close();

    const store = track(Store.open(dir));
    expect(store.report.migrated).toEqual([2, 3, 4]);
    expect(SCHEMA_VERSION).toBe(4);
    expect(store.meta.get('probe')).toBe('kept');
    const e = trap();
    store.events.append(e);
    expect(store.events.peek(1)).toEqual([e]);
  });
});
