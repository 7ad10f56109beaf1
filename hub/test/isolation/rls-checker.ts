import type { Db, Queryable } from '../../src/db/types.js';

/**
 * Database-level tenant isolation, checked table by table for every table with a tenant_id
 * column (found in the catalog, so a new table cannot be forgotten). Returns the problems
 * found, as `table: what`; an empty list means isolated. Every probe that writes runs in a
 * transaction that is rolled back, so even a broken database is left as it was.
 */

/** Tenant-owned tables: ordinary or partitioned tables with a tenant_id column, partitions excluded. */
export async function tenantOwnedTables(db: Db): Promise<string[]> {
  const { rows } = await db.asOwner((q) =>
    q.query<{ name: string }>(
      `SELECT c.relname AS name
         FROM information_schema.columns col
         JOIN pg_class c ON c.relname = col.table_name
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = col.table_schema
        WHERE col.table_schema = 'public' AND col.column_name = 'tenant_id'
          AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY 1`,
    ),
  );
  return rows.map((r) => r.name);
}

type Outcome =
  | { ok: true; rowCount: number; rows: Record<string, unknown>[] }
  | { ok: false; code: string; message: string };

class Rollback extends Error {
  constructor(readonly outcome: Outcome) {
    super('rollback');
  }
}

/** Runs one statement in its own transaction and rolls it back, whatever it did. */
async function attempt(
  run: (fn: (q: Queryable) => Promise<never>) => Promise<unknown>,
  sql: string,
  params: unknown[] = [],
): Promise<Outcome> {
  try {
    await run(async (q) => {
      let outcome: Outcome;
      try {
        const res = await q.query(sql, params);
        outcome = { ok: true, rowCount: res.rowCount, rows: res.rows };
      } catch (err) {
        const e = err as { code?: string; message?: string };
        outcome = { ok: false, code: e.code ?? '?', message: e.message ?? String(err) };
      }
      throw new Rollback(outcome);
    });
  } catch (err) {
    if (err instanceof Rollback) return err.outcome;
    throw err;
  }
  throw new Error('unreachable: the probe transaction committed');
}

const asApp = (db: Db) => (fn: (q: Queryable) => Promise<never>) =>
  db.asOwner(async (q) => {
    // drm_app with no tenant set: what a query that forgot withTenant would see.
    await q.query('SET LOCAL ROLE drm_app');
    return fn(q);
  });
const inTenant = (db: Db, tenantId: string) => (fn: (q: Queryable) => Promise<never>) =>
  db.withTenant(tenantId, fn);

const count = (o: Outcome) => (o.ok ? Number(o.rows[0]?.n) : `error ${o.code}`);
const RLS_VIOLATION = '42501';

async function ownerCount(db: Db, table: string, tenantId: string): Promise<number> {
  const { rows } = await db.asOwner((q) =>
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]),
  );
  return Number(rows[0]?.n);
}

/** Row-level security switched on, forced, and every policy bound to the current tenant. */
async function checkCatalog(db: Db, table: string): Promise<string[]> {
  const problems: string[] = [];
  const { rows } = await db.asOwner((q) =>
    q.query<{ enabled: boolean; forced: boolean }>(
      `SELECT relrowsecurity AS enabled, relforcerowsecurity AS forced FROM pg_class
        WHERE oid = ('public.' || quote_ident($1))::regclass`,
      [table],
    ),
  );
  if (!rows[0]?.enabled) problems.push('row-level security is not enabled');
  if (!rows[0]?.forced) problems.push('row-level security is not forced');
  const policies = await db.asOwner((q) =>
    q.query<{ name: string; using: string | null; check: string | null; permissive: string }>(
      `SELECT policyname AS name, qual AS using, with_check AS check, permissive
         FROM pg_policies WHERE schemaname = 'public' AND tablename = $1`,
      [table],
    ),
  );
  if (policies.rows.length === 0) problems.push('has no policy');
  for (const p of policies.rows) {
    if (p.permissive !== 'PERMISSIVE') continue;
    for (const [what, expr] of [
      ['USING', p.using],
      ['WITH CHECK', p.check ?? p.using],
    ] as const) {
      if (!expr || !/tenant_id = drm_current_tenant\(\)/.test(expr)) {
        problems.push(
          `policy ${p.name} ${what} (${expr ?? 'none'}) does not bind tenant_id to the current tenant`,
        );
      }
    }
  }
  return problems;
}

/** Visibility: nothing without a tenant, nothing of A from B, all of A from A. */
async function checkReads(db: Db, table: string, a: string, b: string): Promise<string[]> {
  const problems: string[] = [];
  const [ownedByA, ownedByB] = await Promise.all([ownerCount(db, table, a), ownerCount(db, table, b)]);
  if (ownedByA === 0) problems.push('tenant A has no rows to test with (seed one)');
  const total = `SELECT count(*)::int AS n FROM ${table}`;
  const none = await attempt(asApp(db), total);
  if (count(none) !== 0) problems.push(`drm_app without a tenant sees ${count(none)} rows`);
  const fromB = await attempt(inTenant(db, b), `${total} WHERE tenant_id = $1`, [a]);
  if (count(fromB) !== 0) problems.push(`tenant B sees ${count(fromB)} rows of tenant A`);
  const allFromB = await attempt(inTenant(db, b), total);
  if (count(allFromB) !== ownedByB) problems.push(`tenant B sees ${count(allFromB)} rows, owns ${ownedByB}`);
  const fromA = await attempt(inTenant(db, a), total);
  if (count(fromA) !== ownedByA) problems.push(`tenant A sees ${count(fromA)} rows, owns ${ownedByA}`);
  return problems;
}

/** Writes: B cannot insert as A, nor touch A's rows; A cannot hand its rows to B. */
async function checkWrites(db: Db, table: string, a: string, b: string): Promise<string[]> {
  const problems: string[] = [];
  const sample = await db.asOwner((q) =>
    q.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t WHERE tenant_id = $1 LIMIT 1`, [a]),
  );
  const row = sample.rows[0]?.row;
  if (row !== undefined) {
    // A copy of one of A's rows: if anything but row-level security stops it, that is luck.
    const insert = await attempt(
      inTenant(db, b),
      `INSERT INTO ${table} SELECT * FROM jsonb_populate_record(NULL::${table}, $1::jsonb)`,
      [JSON.stringify(row)],
    );
    if (insert.ok || insert.code !== RLS_VIOLATION) {
      problems.push(
        `tenant B inserting a row of tenant A: ${insert.ok ? 'succeeded' : `failed with ${insert.code}, not a policy violation`}`,
      );
    }
  }
  for (const [what, sql] of [
    ['updates', `UPDATE ${table} SET tenant_id = tenant_id WHERE tenant_id = $1`],
    ['deletes', `DELETE FROM ${table} WHERE tenant_id = $1`],
  ] as const) {
    const res = await attempt(inTenant(db, b), sql, [a]);
    // Refused outright (no privilege, as on the append-only audit log) is as good as 0 rows.
    if (res.ok ? res.rowCount !== 0 : res.code !== RLS_VIOLATION) {
      problems.push(`tenant B ${what} rows of tenant A: ${res.ok ? `${res.rowCount} rows` : res.code}`);
    }
  }
  const move = await attempt(inTenant(db, a), `UPDATE ${table} SET tenant_id = $2 WHERE tenant_id = $1`, [
    a,
    b,
  ]);
  if (move.ok ? move.rowCount !== 0 : move.code !== RLS_VIOLATION) {
    problems.push(
      `tenant A moving its rows to tenant B: ${move.ok ? `${move.rowCount} rows moved` : move.code}`,
    );
  }
  return problems;
}

/** Every isolation problem of every tenant-owned table, between tenants `a` (with data) and `b`. */
export async function checkTenantIsolation(db: Db, a: string, b: string): Promise<string[]> {
  const problems: string[] = [];
  for (const table of await tenantOwnedTables(db)) {
    const found = [
      ...(await checkCatalog(db, table)),
      ...(await checkReads(db, table, a, b)),
      ...(await checkWrites(db, table, a, b)),
    ];
    problems.push(...found.map((p) => `${table}: ${p}`));
  }
  return problems;
}

/** Every row of a tenant in every tenant-owned table, to compare before and after. */
export async function snapshotTenant(db: Db, tenantId: string): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of await tenantOwnedTables(db)) {
    const { rows } = await db.asOwner((q) =>
      q.query<{ row: unknown }>(
        `SELECT to_jsonb(t) AS row FROM ${table} t WHERE tenant_id = $1 ORDER BY to_jsonb(t)::text`,
        [tenantId],
      ),
    );
    snapshot[table] = rows.map((r) => r.row);
  }
  return snapshot;
}
