import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DataDirLock } from './lock.js';
import { migrate, SCHEMA_VERSION, SchemaVersionError, schemaVersion } from './migrations.js';

export const DB_FILE = 'agent.db';
export const LOCK_FILE = 'agent.lock';

/** How long a statement waits for another connection's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;
/** The WAL file is truncated back to this after a checkpoint, so a burst does not keep it large. */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

export interface OpenedDatabase {
  db: Database.Database;
  /** Held by read-write opens only. */
  lock: DataDirLock | null;
  /** Schema versions applied by this open. */
  migrated: number[];
}

export function dbPath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/** Creates `path` if missing with mode 0600, so SQLite (and its -wal/-shm, which copy the mode) never widen it. */
function touchPrivate(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

/**
 * Runs `fn` (one write) with `synchronous=NORMAL`: its commit is not fsynced by itself, but
 * the next FULL commit fsyncs it too (the WAL is appended in order). Only for writes whose
 * loss on a power cut costs nothing that crash recovery does not already do, such as marking
 * a target `running` (it would be requeued anyway) or noting the last contact; it saves an
 * fsync (milliseconds) each. Inside a transaction the outer commit decides.
 */
export function relaxed<T>(db: Database.Database, fn: () => T): T {
  if (db.inTransaction) return fn();
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

/**
 * Opens the store's SQLite file for the agent: creates the folder (0700) and the file (0600),
 * takes the data folder's writer lock, turns on WAL, and migrates the schema.
 *
 * Durability: WAL with `synchronous=FULL`. A `kill -9` alone loses nothing even with NORMAL
 * (a commit is in the OS page cache once `COMMIT` returns). FULL also fsyncs the WAL at every
 * commit, so a commit survives a power cut or kernel crash too. That matters because the agent
 * makes promises to the hub right after a commit: a receipt ("this job is in my inbox") and,
 * after `complete`, a result the hub may store and ack. With NORMAL a power cut could roll
 * back those last commits: a receipted job would vanish, or a completed target would return
 * to `queued` and run a second time. Edge boxes lose power more often than servers; the cost
 * is one fsync per transaction, which is why writes are batched into few transactions.
 */
export function openReadWrite(dataDir: string): OpenedDatabase {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // It holds the MQTT password and device credentials: tighten a folder made by someone else.
  chmodSync(dataDir, 0o700);
  const lockPath = join(dataDir, LOCK_FILE);
  touchPrivate(lockPath);
  const lock = DataDirLock.acquire(lockPath, dataDir);
  try {
    const path = dbPath(dataDir);
    touchPrivate(path);
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`agent store: cannot turn on WAL mode (journal_mode is ${mode})`);
      db.pragma('synchronous = FULL');
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      db.pragma('foreign_keys = ON');
      const migrated = migrate(db);
      return { db, lock, migrated };
    } catch (err) {
      db.close();
      throw err;
    }
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * Opens the store read-only, beside a running agent (WAL lets readers and the writer work at
 * once): no lock, no migration, no crash recovery. Returns null when the folder holds no store.
 */
export function openReadOnly(dataDir: string): OpenedDatabase | null {
  const path = dbPath(dataDir);
  if (!existsSync(path)) return null;
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const found = schemaVersion(db);
    if (found === 0) {
      // An empty file (a first open that died before its first migration): nothing stored yet.
      db.close();
      return null;
    }
    if (found !== SCHEMA_VERSION) {
      throw new SchemaVersionError(
        found,
        SCHEMA_VERSION,
        found > SCHEMA_VERSION
          ? 'it was written by a newer drm-agent'
          : 'the agent upgrades it when it next starts',
      );
    }
    return { db, lock: null, migrated: [] };
  } catch (err) {
    db.close();
    throw err;
  }
}
