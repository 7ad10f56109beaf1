import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { expect } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createPgDb } from '../../src/db/pg-db.js';
import { createPgliteDb } from '../../src/db/pglite-db.js';
import type { Db, DbEngine } from '../../src/db/types.js';

/**
 * Test databases on either engine.
 *
 * - pglite (always): in memory. A fresh PGlite runs initdb, so the dumps of a bare and of a
 *   migrated data folder are made once per test run (`global-setup.ts` writes them to files
 *   named by DRM_TEST_PGLITE_DUMPS) or, outside a test run, once per process; every test
 *   database then starts from a dump, roles and all (what `clone()` does). Measured: making
 *   the dumps ~5 s, each database from one 0.4-0.9 s.
 * - postgres (when TEST_DATABASE_URL is set): a scratch database `drm_t_<hex>` created through
 *   an admin connection to that URL, migrated, and dropped on cleanup. Measured: 0.1-0.2 s.
 */

export interface TestDb {
  db: Db;
  engine: DbEngine;
  /** The scratch database's URL (postgres only), e.g. to open a second pool on it. */
  url?: string;
  /** Closes the database and, on PostgreSQL, drops the scratch database. */
  cleanup(): Promise<void>;
}

export interface TestDbOptions {
  /** Apply the migrations (default true); false gives an empty database. */
  migrate?: boolean;
  /** Pool size on PostgreSQL (default 4). */
  poolMax?: number;
}

export const testLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The engines a contract suite runs against: pglite always, postgres when configured. */
export function engines(): DbEngine[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** postgres when TEST_DATABASE_URL is set, else pglite. */
export function createTestDb(opts: TestDbOptions = {}): Promise<TestDb> {
  return createTestDbFor(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite', opts);
}

export function createTestDbFor(engine: DbEngine, opts: TestDbOptions = {}): Promise<TestDb> {
  return engine === 'postgres' ? createScratchPostgres(opts) : createPglite(opts);
}

let bareDump: Promise<Blob> | undefined;
let migratedDump: Promise<Blob> | undefined;

/** Where the test run's global set-up left the dumps. */
export const DUMP_DIR_ENV = 'DRM_TEST_PGLITE_DUMPS';
const dumpFile = (dir: string, migrated: boolean) => join(dir, migrated ? 'migrated.tar' : 'bare.tar');

/** Makes both dumps in this process and writes them to `dir`. */
export async function writeDumps(dir: string): Promise<void> {
  for (const migrated of [false, true]) {
    writeFileSync(dumpFile(dir, migrated), Buffer.from(await (await dumpOf(migrated)).arrayBuffer()));
  }
}

function dumpOf(migrated: boolean): Promise<Blob> {
  const dir = process.env[DUMP_DIR_ENV];
  if (dir && existsSync(dumpFile(dir, migrated))) {
    return Promise.resolve(new Blob([readFileSync(dumpFile(dir, migrated))]));
  }
  bareDump ??= (async () => {
    const db = await createPgliteDb({ log: testLog });
    try {
      return await db.dumpDataDir();
    } finally {
      await db.close();
    }
  })();
  if (!migrated) return bareDump;
  migratedDump ??= (async () => {
    const db = await createPgliteDb({ log: testLog, loadDataDir: await bareDump });
    try {
      await migrate(db);
      return await db.dumpDataDir();
    } finally {
      await db.close();
    }
  })();
  return migratedDump;
}

async function createPglite(opts: TestDbOptions): Promise<TestDb> {
  const db = await createPgliteDb({ log: testLog, loadDataDir: await dumpOf(opts.migrate ?? true) });
  return { db, engine: 'pglite', cleanup: () => db.close() };
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Names the scratch databases of one test run, so that its global teardown can drop any left. */
export const RUN_ID_ENV = 'DRM_TEST_RUN_ID';
export const scratchPrefix = (runId = process.env[RUN_ID_ENV]) => (runId ? `drm_t_${runId}_` : 'drm_t_');

/**
 * Drops every scratch database of the run `runId` still there (a test that did not clean up)
 * and names each with the test file that made it (the database's comment).
 */
export async function dropScratchDatabases(runId: string): Promise<string[]> {
  if (!process.env.TEST_DATABASE_URL) return [];
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string; made_by: string | null }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS made_by
         FROM pg_database WHERE starts_with(datname, $1)`,
      [scratchPrefix(runId)],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return rows.map((r) => `${r.datname} (${r.made_by ?? 'unknown test'})`);
  });
}

/** The test file running now, when called inside a test or hook. */
function currentTestFile(): string | undefined {
  try {
    return expect.getState().testPath;
  } catch {
    return undefined;
  }
}

async function createScratchPostgres(opts: TestDbOptions): Promise<TestDb> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `${scratchPrefix()}${randomBytes(6).toString('hex')}`;
  const madeBy = currentTestFile();
  await withAdmin(async (admin) => {
    await admin.query(`CREATE DATABASE ${name}`);
    if (madeBy) await admin.query(`COMMENT ON DATABASE ${name} IS ${pg.escapeLiteral(madeBy)}`);
  });
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = createPgDb({ url: url.toString(), log: testLog, max: opts.poolMax ?? 4 });
  const cleanup = async () => {
    await db.close();
    // WITH (FORCE) terminates any connection still open on it (PostgreSQL 13+).
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  try {
    if (opts.migrate ?? true) await migrate(db);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { db, engine: 'postgres', url: url.toString(), cleanup };
}
