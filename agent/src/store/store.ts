import type Database from 'better-sqlite3';
import pino, { type Logger } from 'pino';
import { dbPath, type OpenedDatabase, openReadOnly, openReadWrite } from './database.js';
import { DesiredStateTable } from './desired-state.js';
import { DEFAULT_EVENT_QUEUE_MAX, DEFAULT_EVENT_QUEUE_MAX_BYTES, EventQueue } from './event-queue.js';
import { IdentityTable } from './identity.js';
import { Inbox } from './inbox.js';
import { Meta } from './meta.js';
import { Outbox } from './outbox.js';
import { Quarantine } from './quarantine.js';
import { ScheduleState } from './schedule-state.js';

/** The default outbox bound: 256 MiB of item JSON (`DRM_AGENT_OUTBOX_MAX_MB`). */
export const DEFAULT_OUTBOX_MAX_BYTES = 256 * 1024 * 1024;

export interface StoreOptions {
  /** Bound of the outbox, in bytes of item JSON. */
  outboxMaxBytes?: number;
  /** Bound of the trap event queue, in events (default `DEFAULT_EVENT_QUEUE_MAX`). */
  eventQueueMax?: number;
  /** Bound of the trap event queue, in bytes of event JSON (default `DEFAULT_EVENT_QUEUE_MAX_BYTES`). */
  eventQueueMaxBytes?: number;
  log?: Logger;
  /** Clock in epoch milliseconds; tests fix it. */
  now?: () => number;
}

/** What `Store.open` did before handing the store over. */
export interface OpenReport {
  /** Schema versions applied. */
  migrated: number[];
  /** Targets left `running` by the previous process, now `queued` again. */
  requeued: number;
}

/**
 * The agent's SQLite store in its data folder: identity, inbox, outbox, desired state,
 * schedule state and meta, one table module each, on one connection.
 *
 * `Store.open` is for the process that owns the folder (it takes the folder's lock, migrates,
 * and requeues targets a crash left running); `Store.openReadOnly` is for `status`, beside a
 * running agent. Every method is synchronous: better-sqlite3 runs a statement in
 * microseconds, and a synchronous commit cannot interleave with other work in this process.
 */
export class Store {
  readonly identity: IdentityTable;
  readonly inbox: Inbox;
  readonly outbox: Outbox;
  /** Traps and informs waiting for the hub's ack. */
  readonly events: EventQueue;
  readonly desired: DesiredStateTable;
  readonly schedules: ScheduleState;
  readonly meta: Meta;
  readonly quarantine: Quarantine;
  readonly report: OpenReport;
  readonly #opened: OpenedDatabase;

  private constructor(
    readonly dataDir: string,
    opened: OpenedDatabase,
    readonly readonly: boolean,
    options: StoreOptions,
  ) {
    this.#opened = opened;
    const { db } = opened;
    const log = (options.log ?? pino({ enabled: false })).child({ component: 'store' });
    const now = options.now ?? Date.now;
    const maxBytes = options.outboxMaxBytes ?? DEFAULT_OUTBOX_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`outboxMaxBytes must be a positive integer, got ${maxBytes}`);
    }
    this.quarantine = new Quarantine(db, log, now, readonly);
    this.identity = new IdentityTable(db);
    this.outbox = new Outbox(db, this.quarantine, log, now, maxBytes);
    this.events = new EventQueue(
      db,
      this.quarantine,
      log,
      now,
      options.eventQueueMax ?? DEFAULT_EVENT_QUEUE_MAX,
      options.eventQueueMaxBytes ?? DEFAULT_EVENT_QUEUE_MAX_BYTES,
    );
    this.inbox = new Inbox(db, this.outbox, this.quarantine, now);
    this.schedules = new ScheduleState(db, this.outbox, this.quarantine, now);
    this.desired = new DesiredStateTable(db, this.schedules, this.identity, this.quarantine, now);
    this.meta = new Meta(db, now);
    const requeued = readonly ? 0 : this.inbox.requeueRunning();
    this.report = { migrated: opened.migrated, requeued };
    if (opened.migrated.length > 0) log.info({ versions: opened.migrated }, 'store schema migrated');
    if (requeued > 0) {
      log.warn({ targets: requeued }, 'job targets left running by the previous process are queued again');
    }
  }

  /**
   * Opens (creating if needed) the store of `dataDir` for writing. Throws `StoreLockedError`
   * when another process has it open for writing, `SchemaVersionError` when a newer agent wrote it.
   */
  static open(dataDir: string, options: StoreOptions = {}): Store {
    const opened = openReadWrite(dataDir);
    try {
      return new Store(dataDir, opened, false, options);
    } catch (err) {
      closeOpened(opened);
      throw err;
    }
  }

  /** Opens an existing store read-only; null when `dataDir` holds none. */
  static openReadOnly(dataDir: string, options: StoreOptions = {}): Store | null {
    const opened = openReadOnly(dataDir);
    if (!opened) return null;
    try {
      return new Store(dataDir, opened, true, options);
    } catch (err) {
      closeOpened(opened);
      throw err;
    }
  }

  /** The SQLite file's path, for messages. */
  get path(): string {
    return dbPath(this.dataDir);
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.#opened.db.transaction(fn).immediate();
  }

  /**
   * Forgets everything: identity, jobs, results and trap events not yet acked, desired and
   * schedule state, meta. For `enroll --force`, which starts over as a new agent. The drop counters restart
   * from zero; item sequence numbers keep rising.
   */
  reset(): void {
    this.transaction(() => {
      const db = this.#opened.db;
      for (const table of [
        'identity',
        'inbox',
        'outbox',
        'event_queue',
        'desired_state',
        'schedule_state',
        'meta',
      ]) {
        db.prepare(`DELETE FROM ${table}`).run();
      }
      db.prepare('UPDATE outbox_totals SET evicted = 0, refused = 0').run();
      db.prepare('UPDATE event_queue_totals SET dropped = 0').run();
    });
  }

  /** The connection, for tests and diagnostics; the table modules are the API. */
  get db(): Database.Database {
    return this.#opened.db;
  }

  close(): void {
    closeOpened(this.#opened);
  }
}

function closeOpened(opened: OpenedDatabase): void {
  if (opened.db.open) opened.db.close();
  opened.lock?.release();
}
