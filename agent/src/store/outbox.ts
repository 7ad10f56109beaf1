import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ResultItem } from '@drm/protocol';
import type { Quarantine } from './quarantine.js';
import { describeIssues, EpochMs, jsonColumn, StoreCorruptError, toIso } from './rows.js';

export type OutboxKind = ResultItem['kind'];

/** One stored item, in append order. */
export interface OutboxEntry {
  id: string;
  /** Append order; never reused, so it can serve as a cursor (`peekBatch`'s `after`). */
  seq: number;
  kind: OutboxKind;
  /** Size of the item's JSON, what the bound counts. */
  bytes: number;
  createdAt: string;
  item: ResultItem;
}

export interface AppendOutcome {
  stored: number;
  /** Ids already in the outbox: an append is idempotent by id. */
  duplicates: number;
  /** Older samples deleted to make room. */
  evicted: number;
  /** New samples not stored because only results (or too few samples) were left. */
  refused: number;
}

/** The protocol's `OutboxStats` (count, bytes, oldestAt, dropped) and the details behind it. */
export interface OutboxSummary {
  count: number;
  bytes: number;
  oldestAt?: string;
  /** `evicted + refused`, persisted: every sample the bound ever cost. */
  dropped: number;
  evicted: number;
  refused: number;
  results: number;
  samples: number;
  maxBytes: number;
}

const Totals = z.object({
  count: z.int().min(0),
  bytes: z.int().min(0),
  result_count: z.int().min(0),
  result_bytes: z.int().min(0),
  last_seq: z.int().min(0),
  evicted: z.int().min(0),
  refused: z.int().min(0),
});
type Totals = z.infer<typeof Totals>;

const OutboxRow = z
  .object({
    id: z.string(),
    seq: z.int().min(1),
    kind: z.enum(['result', 'sample']),
    body: jsonColumn(ResultItem),
    bytes: z.int().min(0),
    created_at: EpochMs,
  })
  .refine((r) => r.body.id === r.id && r.body.kind === r.kind, 'body does not match its id or kind');

const EVICT_CHUNK = 512;

/**
 * The outbox: results and samples waiting for the hub's application-level ack.
 *
 * Bound: the JSON bytes of the items stay under `maxBytes`. An append that would pass it
 * deletes the oldest samples first; job results are never deleted for room. When the samples
 * left cannot make room for a new sample, that sample is refused; a new result is always
 * stored, even past the bound. Every sample evicted or refused is counted, persistently.
 * The file itself is larger than `bytes` (pages, indexes) and does not shrink: SQLite reuses
 * the freed pages, so it stays near its high-water mark.
 */
export class Outbox {
  readonly #db: Database.Database;
  readonly #totals: Database.Statement<[], unknown>;
  readonly #exists: Database.Statement<[string], unknown>;
  readonly #insert: Database.Statement<[string, number, string, string, number, number]>;
  readonly #bumpSeq: Database.Statement<[number]>;
  readonly #oldestSamples: Database.Statement<[number], { id: string; bytes: number }>;
  readonly #deleteId: Database.Statement<[string]>;
  readonly #count: Database.Statement<[number, number]>;
  readonly #after: Database.Statement<[number, number], Record<string, unknown>>;
  readonly #oldest: Database.Statement<[], { created_at: number }>;
  readonly #ack: Database.Statement<[string]>;

  constructor(
    db: Database.Database,
    private readonly quarantine: Quarantine,
    private readonly log: Logger,
    private readonly now: () => number,
    readonly maxBytes: number,
  ) {
    this.#db = db;
    this.#totals = db.prepare('SELECT * FROM outbox_totals WHERE singleton = 1');
    this.#exists = db.prepare('SELECT 1 FROM outbox WHERE id = ?');
    this.#insert = db.prepare(
      'INSERT INTO outbox (id, seq, kind, body, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#bumpSeq = db.prepare('UPDATE outbox_totals SET last_seq = ? WHERE singleton = 1');
    this.#oldestSamples = db.prepare(
      `SELECT id, bytes FROM outbox WHERE kind = 'sample' ORDER BY seq LIMIT ?`,
    );
    this.#deleteId = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.#count = db.prepare(
      'UPDATE outbox_totals SET evicted = evicted + ?, refused = refused + ? WHERE singleton = 1',
    );
    this.#after = db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#oldest = db.prepare('SELECT created_at FROM outbox ORDER BY seq LIMIT 1');
    this.#ack = db.prepare('DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))');
  }

  append(item: ResultItem): AppendOutcome {
    return this.appendMany([item]);
  }

  /** Appends items in order, in one transaction (one fsync), applying the size bound. */
  appendMany(items: readonly ResultItem[]): AppendOutcome {
    const outcome: AppendOutcome = { stored: 0, duplicates: 0, evicted: 0, refused: 0 };
    if (items.length === 0) return outcome;
    // Validated before the transaction: a caller's bad record fails without a half append.
    const rows = items.map((item) => {
      const parsed = ResultItem.parse(item);
      const body = JSON.stringify(parsed);
      return { id: parsed.id, kind: parsed.kind, body, bytes: Buffer.byteLength(body) };
    });
    this.#db
      .transaction(() => {
        const at = this.now();
        for (const row of rows) {
          if (this.#exists.get(row.id) !== undefined) {
            outcome.duplicates += 1;
            continue;
          }
          const totals = this.#readTotals();
          if (totals.bytes + row.bytes > this.maxBytes) {
            if (row.kind === 'sample' && totals.result_bytes + row.bytes > this.maxBytes) {
              // Evicting every sample would still not make room: keep the older ones.
              outcome.refused += 1;
              continue;
            }
            outcome.evicted += this.#evict(totals.bytes + row.bytes - this.maxBytes);
            if (row.kind === 'sample' && this.#readTotals().bytes + row.bytes > this.maxBytes) {
              outcome.refused += 1;
              continue;
            }
          }
          const seq = totals.last_seq + 1;
          this.#insert.run(row.id, seq, row.kind, row.body, row.bytes, at);
          this.#bumpSeq.run(seq);
          outcome.stored += 1;
        }
        if (outcome.evicted > 0 || outcome.refused > 0) {
          this.#count.run(outcome.evicted, outcome.refused);
        }
      })
      .immediate();
    if (outcome.evicted > 0 || outcome.refused > 0) {
      this.log.warn(
        { evicted: outcome.evicted, refused: outcome.refused, maxBytes: this.maxBytes },
        'outbox full: samples dropped',
      );
    }
    return outcome;
  }

  /** Deletes the oldest samples until `need` bytes are freed or none is left; returns how many. */
  #evict(need: number): number {
    let freed = 0;
    let deleted = 0;
    while (freed < need) {
      const chunk = this.#oldestSamples.all(EVICT_CHUNK);
      if (chunk.length === 0) break;
      for (const s of chunk) {
        if (freed >= need) break;
        this.#deleteId.run(s.id);
        freed += s.bytes;
        deleted += 1;
      }
    }
    return deleted;
  }

  /**
   * The oldest items, in append order, up to `maxItems` and `maxBytes` of item JSON (leave
   * room for the envelope). The first item is returned even when it alone is larger than
   * `maxBytes`, so one large item cannot stall the outbox. `after` skips items up to that
   * `seq`, to read the next batch while one is in flight. Rows that fail validation are
   * moved to the quarantine.
   */
  peekBatch(maxItems: number, maxBytes: number, options: { after?: number } = {}): OutboxEntry[] {
    const batch: OutboxEntry[] = [];
    let bytes = 0;
    const rows = this.#after.all(options.after ?? 0, Math.max(0, maxItems));
    for (const raw of rows) {
      const parsed = OutboxRow.safeParse(raw);
      if (!parsed.success) {
        this.#quarantine(raw, describeIssues(parsed.error));
        continue;
      }
      const r = parsed.data;
      if (batch.length > 0 && bytes + r.bytes > maxBytes) break;
      bytes += r.bytes;
      batch.push({
        id: r.id,
        seq: r.seq,
        kind: r.kind,
        bytes: r.bytes,
        createdAt: toIso(r.created_at),
        item: r.body,
      });
    }
    return batch;
  }

  #quarantine(raw: Record<string, unknown>, problem: string): void {
    const id = String(raw.id);
    if (this.quarantine.readonly) {
      this.quarantine.add('outbox', id, raw, problem);
      return;
    }
    this.#db
      .transaction(() => {
        this.quarantine.add('outbox', id, raw, problem);
        this.#deleteId.run(id);
      })
      .immediate();
  }

  /** Deletes acked (committed or rejected) items; returns how many were present. */
  ack(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    return this.#db.transaction(() => this.#ack.run(JSON.stringify(ids)).changes).immediate();
  }

  stats(): OutboxSummary {
    const t = this.#readTotals();
    const oldest = this.#oldest.get();
    return {
      count: t.count,
      bytes: t.bytes,
      ...(oldest && { oldestAt: toIso(oldest.created_at) }),
      dropped: t.evicted + t.refused,
      evicted: t.evicted,
      refused: t.refused,
      results: t.result_count,
      samples: t.count - t.result_count,
      maxBytes: this.maxBytes,
    };
  }

  #readTotals(): Totals {
    const parsed = Totals.safeParse(this.#totals.get());
    if (!parsed.success) {
      // Triggers keep this row; it cannot be missing unless the file was edited by hand.
      throw new StoreCorruptError('outbox_totals', 'singleton', describeIssues(parsed.error));
    }
    return parsed.data;
  }
}
