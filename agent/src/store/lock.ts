import Database from 'better-sqlite3';

/** Another process holds the data folder (a running agent, or an `enroll` in progress). */
export class StoreLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`another drm-agent process is using ${dataDir}; stop it first`);
    this.name = 'StoreLockedError';
  }
}

/**
 * One writer per data folder. The lock is an exclusive SQLite lock (a POSIX advisory lock
 * underneath) held on a separate empty file for as long as the store is open: the kernel
 * drops it when the process dies, even by SIGKILL, so there is no stale lock file to clean
 * up, and a reused pid (pid 1 in every container) cannot fake a live owner.
 *
 * Without it, a second writer opening the store would put the first one's running targets
 * back to `queued` (crash recovery) while they are still running.
 */
export class DataDirLock {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Takes the lock or throws `StoreLockedError` at once (no waiting). */
  static acquire(lockPath: string, dataDir: string): DataDirLock {
    const db = new Database(lockPath, { timeout: 0 });
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new StoreLockedError(dataDir);
      throw err;
    }
    return new DataDirLock(db);
  }

  release(): void {
    if (!this.#db.open) return;
    this.#db.exec('ROLLBACK');
    this.#db.close();
  }
}
