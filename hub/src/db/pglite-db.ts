import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction, types } from '@electric-sql/pglite';
import type { Logger } from 'pino';
import { type FolderLock, lockFolder } from './folder-lock.js';
import { assertNotNested, runMarked, type Scope, scopePreamble, tenantScope } from './context.js';
import { identity, OID, parseBytea, parseInt8 } from './type-parsers.js';
import type { Db, OwnerQueryable, QueryResult, TenantContext } from './types.js';

export interface PgliteDbOptions {
  /** Folder of the database files; undefined keeps the database in memory. */
  dataDir?: string | undefined;
  log: Logger;
  /** A data folder dump (`dumpDataDir()`) to start from: skips initdb. */
  loadDataDir?: Blob | undefined;
}

export interface PgliteDb extends Db {
  readonly engine: 'pglite';
  /** Dumps the whole database (uncompressed tarball), for `loadDataDir` or a backup. */
  dumpDataDir(): Promise<Blob>;
  /** A new in-memory database with the same contents (roles included). */
  clone(): Promise<PgliteDb>;
}

const PARSERS = {
  [OID.INT8]: parseInt8,
  [OID.INT8_ARRAY]: (text: string) => types.arrayParser(text, parseInt8, OID.INT8_ARRAY),
  [OID.NUMERIC]: identity,
  [OID.DATE]: identity,
  [OID.DATE_ARRAY]: (text: string) => types.arrayParser(text, identity, OID.DATE_ARRAY),
  [OID.BYTEA]: parseBytea,
};

function queryable(tx: Transaction): OwnerQueryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await tx.query<R>(sql, params ? [...params] : undefined);
      return { rows: res.rows, rowCount: res.rowCount ?? res.affectedRows ?? res.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await tx.exec(sql);
    },
  };
}

/**
 * A `Db` on PGlite, PostgreSQL in WebAssembly, in this process. It is a single session, so
 * transactions run one at a time; the role and settings are the same as on PostgreSQL.
 */
export async function createPgliteDb(opts: PgliteDbOptions): Promise<PgliteDb> {
  const { log, dataDir } = opts;
  let lock: FolderLock | null = null;
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    lock = await lockFolder(dataDir);
  }
  const started = Date.now();
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
      parsers: PARSERS,
    });
  } catch (err) {
    await lock?.release();
    throw err;
  }
  log.debug({ dataDir: dataDir ?? null, ms: Date.now() - started }, 'embedded database opened');

  async function run<T>(scope: Scope, fn: (q: OwnerQueryable) => Promise<T>): Promise<T> {
    assertNotNested();
    // PGlite's transaction() issues BEGIN, and ROLLBACK when the callback throws.
    return pglite.transaction(async (tx) => {
      const preamble = scopePreamble(scope);
      if (preamble) await tx.query(preamble.sql, preamble.params);
      return runMarked(() => fn(queryable(tx)));
    });
  }

  const db: PgliteDb = {
    engine: 'pglite',
    withTenant: async <T>(ctx: TenantContext | string, fn: (q: OwnerQueryable) => Promise<T>) =>
      run(tenantScope(ctx), fn),
    asSystem: (fn) => run({ kind: 'system' }, fn),
    asOwner: (fn) => run({ kind: 'owner' }, fn),
    async ping() {
      await pglite.query('SELECT 1');
    },
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        await lock?.release();
      }
    },
    dumpDataDir: () => pglite.dumpDataDir('none'),
    async clone() {
      return createPgliteDb({ log, loadDataDir: await pglite.dumpDataDir('none') });
    },
  };
  return db;
}
