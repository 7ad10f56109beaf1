import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { z } from 'zod';
import { MAX_MESSAGE_BYTES, TrapEvent } from '@drm/protocol';
import type { Quarantine } from './quarantine.js';
import { describeIssues, EpochMs, jsonColumn, StoreCorruptError, toIso, toMs } from './rows.js';

/** The default bound of the event queue, in events (`StoreOptions.eventQueueMax`). */
export const DEFAULT_EVENT_QUEUE_MAX = 100_000;
/**
 * The default bound of the event queue in bytes of event JSON (`StoreOptions.eventQueueMaxBytes`):
 * an event may be up to a message's size, so the count alone could let a storm of large traps
 * fill the disk.
 */
export const DEFAULT_EVENT_QUEUE_MAX_BYTES = 64 * 1024 * 1024;

/** How often, at most, a full queue says so in the log (a trap storm must not flood it). */
const DROP_WARN_INTERVAL_MS = 60_000;

export interface EventQueueStats {
  count: number;
  /** Bytes of event JSON queued. */
  bytes: number;
  oldestAt?: string;
  /** Oldest events deleted to make room, persisted: every event the bound ever cost. */
  dropped: number;
}

const Totals = z.object({ count: z.int().min(0), bytes: z.int().min(0), dropped: z.int().min(0) });
type Totals = z.infer<typeof Totals>;

const EventRow = z
  .object({ seq: z.int().min(1), id: z.string(), body: jsonColumn(TrapEvent), received_at: EpochMs })
  .refine((r) => r.body.id === r.id, 'body does not match its id');

/**
 * Traps and informs received, oldest first, until the hub acks them (after its commit).
 *
 * Bound: at most `max` events and `maxBytes` bytes of their JSON. An append to a full queue
 * deletes the oldest events first: a trap storm while the uplink is down keeps the most recent
 * picture of the network, which is what an operator reads when it comes back. Every event deleted for room is counted,
 * persistently, and the count survives restarts like the outbox's.
 */
export class EventQueue {
  readonly #db: Database.Database;
  readonly #totals: Database.Statement<[], unknown>;
  readonly #exists: Database.Statement<[string], unknown>;
  readonly #insert: Database.Statement<[string, string, number]>;
  readonly #dropThrough: Database.Statement<[number]>;
  readonly #sizes: Database.Statement<[], { seq: number; bytes: number }>;
  readonly #countDropped: Database.Statement<[number]>;
  readonly #oldestRows: Database.Statement<[number], Record<string, unknown>>;
  readonly #oldest: Database.Statement<[], { received_at: number }>;
  readonly #deleteId: Database.Statement<[string]>;
  readonly #ack: Database.Statement<[string]>;
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #unreported = 0;

  constructor(
    db: Database.Database,
    private readonly quarantine: Quarantine,
    private readonly log: Logger,
    private readonly now: () => number,
    readonly max: number,
    readonly maxBytes: number = DEFAULT_EVENT_QUEUE_MAX_BYTES,
  ) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`eventQueueMax must be a positive integer, got ${max}`);
    }
    // Room for at least one event of a message's size.
    if (!Number.isSafeInteger(maxBytes) || maxBytes < MAX_MESSAGE_BYTES) {
      throw new RangeError(
        `eventQueueMaxBytes must be an integer of at least ${MAX_MESSAGE_BYTES}, got ${maxBytes}`,
      );
    }
    this.#db = db;
    this.#totals = db.prepare('SELECT count, bytes, dropped FROM event_queue_totals WHERE singleton = 1');
    this.#exists = db.prepare('SELECT 1 FROM event_queue WHERE id = ?');
    this.#insert = db.prepare('INSERT INTO event_queue (id, body, received_at) VALUES (?, ?, ?)');
    this.#dropThrough = db.prepare('DELETE FROM event_queue WHERE seq <= ?');
    this.#sizes = db.prepare('SELECT seq, length(CAST(body AS BLOB)) AS bytes FROM event_queue ORDER BY seq');
    this.#countDropped = db.prepare(
      'UPDATE event_queue_totals SET dropped = dropped + ? WHERE singleton = 1',
    );
    this.#oldestRows = db.prepare('SELECT seq, id, body, received_at FROM event_queue ORDER BY seq LIMIT ?');
    this.#oldest = db.prepare('SELECT received_at FROM event_queue ORDER BY seq LIMIT 1');
    this.#deleteId = db.prepare('DELETE FROM event_queue WHERE id = ?');
    this.#ack = db.prepare('DELETE FROM event_queue WHERE id IN (SELECT value FROM json_each(?))');
  }

  /**
   * Stores `event` (validated first: an invalid event throws and stores nothing). Idempotent by
   * id. Returns false for an id already queued.
   */
  append(event: TrapEvent): boolean {
    const parsed = TrapEvent.parse(event);
    const body = JSON.stringify(parsed);
    const receivedAt = toMs(parsed.receivedAt);
    let dropped = 0;
    const stored = this.#db
      .transaction(() => {
        if (this.#exists.get(parsed.id) !== undefined) return false;
        const totals = this.#readTotals();
        dropped = this.#makeRoom(
          totals.count + 1 - this.max,
          totals.bytes + Buffer.byteLength(body) - this.maxBytes,
        );
        if (dropped > 0) this.#countDropped.run(dropped);
        this.#insert.run(parsed.id, body, receivedAt);
        return true;
      })
      .immediate();
    if (dropped > 0) this.#warnDropped(dropped);
    return stored;
  }

  /**
   * Deletes the fewest oldest events that are at least `events` in number and hold at least
   * `bytes` together (nothing when neither is positive); returns how many went.
   */
  #makeRoom(events: number, bytes: number): number {
    if (events <= 0 && bytes <= 0) return 0;
    let count = 0;
    let freed = 0;
    let through = 0;
    for (const row of this.#sizes.iterate()) {
      count += 1;
      freed += row.bytes;
      through = row.seq;
      if (count >= events && freed >= bytes) break;
    }
    return through > 0 ? this.#dropThrough.run(through).changes : 0;
  }

  /** Logs drops at most once per interval, with how many went since the last line. */
  #warnDropped(dropped: number): void {
    this.#unreported += dropped;
    const at = this.now();
    if (at - this.#lastWarnAt < DROP_WARN_INTERVAL_MS) return;
    this.log.warn(
      { dropped: this.#unreported, max: this.max, maxBytes: this.maxBytes },
      'event queue full: oldest events dropped',
    );
    this.#lastWarnAt = at;
    this.#unreported = 0;
  }

  /** Up to `limit` events, oldest first. Rows that fail validation are moved to the quarantine. */
  peek(limit: number): TrapEvent[] {
    const events: TrapEvent[] = [];
    for (const raw of this.#oldestRows.all(Math.max(0, Math.floor(limit)))) {
      const parsed = EventRow.safeParse(raw);
      if (parsed.success) events.push(parsed.data.body);
      else this.#quarantine(raw, describeIssues(parsed.error));
    }
    return events;
  }

  #quarantine(raw: Record<string, unknown>, problem: string): void {
    const id = String(raw.id);
    if (this.quarantine.readonly) {
      this.quarantine.add('event_queue', id, raw, problem);
      return;
    }
    this.#db
      .transaction(() => {
        this.quarantine.add('event_queue', id, raw, problem);
        this.#deleteId.run(id);
      })
      .immediate();
  }

  /** Deletes events the hub has committed; returns how many were present. */
  ack(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    return this.#db.transaction(() => this.#ack.run(JSON.stringify(ids)).changes).immediate();
  }

  stats(): EventQueueStats {
    const t = this.#readTotals();
    const oldest = this.#oldest.get();
    return {
      count: t.count,
      bytes: t.bytes,
      ...(oldest && { oldestAt: toIso(oldest.received_at) }),
      dropped: t.dropped,
    };
  }

  #readTotals(): Totals {
    const parsed = Totals.safeParse(this.#totals.get());
    if (!parsed.success) {
      // Triggers keep this row; it cannot be missing unless the file was edited by hand.
      throw new StoreCorruptError('event_queue_totals', 'singleton', describeIssues(parsed.error));
    }
    return parsed.data;
  }
}
