import pg from 'pg';
import type { Logger } from 'pino';
import { assertNotNested, beginWithScope, runMarked, type Scope, tenantScope } from './context.js';
import { identity, OID, parseBytea, parseInt8 } from './type-parsers.js';
import type { Db, OwnerQueryable, QueryResult, TenantContext } from './types.js';

export interface PgDbOptions {
  /** A `postgres://` connection string; the role it logs in as owns the schema. */
  url: string;
  log: Logger;
  /** Pool size (default 10). */
  max?: number | undefined;
}

// The text array parser yields strings (or nested arrays of them); elements are then parsed
// with the element type's parser.
// (pg's typings only list the scalar type ids.)
const getParser = pg.types.getTypeParser as (
  oid: number,
  format?: 'text' | 'binary',
) => (text: string) => unknown;
const TEXT_ARRAY = 1009;
const parseTextArray = getParser(TEXT_ARRAY, 'text') as (text: string) => unknown[];

function mapDeep(value: unknown, fn: (text: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapDeep(v, fn));
  return value === null ? null : fn(value as string);
}

const OVERRIDES: Record<number, (text: string) => unknown> = {
  [OID.INT8]: parseInt8,
  [OID.INT8_ARRAY]: (text) => mapDeep(parseTextArray(text), parseInt8),
  [OID.NUMERIC]: identity,
  [OID.DATE]: identity,
  [OID.DATE_ARRAY]: (text) => parseTextArray(text),
  [OID.BYTEA]: parseBytea,
};

// Per pool rather than pg.types.setTypeParser, which would change every pg user in the process.
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary') {
      const parser = OVERRIDES[oid];
      if (parser) return parser;
    }
    return getParser(oid, format ?? 'text');
  },
} as pg.CustomTypesConfig;

function queryable(client: pg.PoolClient): OwnerQueryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await client.query(sql, params ? [...params] : undefined);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple query protocol, which takes several statements.
      await client.query(sql);
    },
  };
}

/** A `Db` over a `pg.Pool`: one pooled connection per transaction. */
export function createPgDb(opts: PgDbOptions): Db {
  const { log } = opts;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    types: TYPES,
    application_name: 'drm-hub',
  });
  // An idle connection that dies (server restart) emits here; unhandled it would crash the hub.
  pool.on('error', (err) => log.error({ err }, 'idle database connection failed'));

  async function run<T>(scope: Scope, fn: (q: OwnerQueryable) => Promise<T>): Promise<T> {
    assertNotNested();
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(beginWithScope(scope));
      const result = await runMarked(() => fn(queryable(client)));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // The connection is unusable: have the pool discard it rather than reuse it.
        broken = rollbackErr as Error;
        log.warn({ err: rollbackErr }, 'rollback failed; discarding the connection');
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  return {
    engine: 'postgres',
    withTenant: async <T>(ctx: TenantContext | string, fn: (q: OwnerQueryable) => Promise<T>) =>
      run(tenantScope(ctx), fn),
    asSystem: (fn) => run({ kind: 'system' }, fn),
    asOwner: (fn) => run({ kind: 'owner' }, fn),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}
