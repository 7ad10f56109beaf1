import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, DbEngine, Queryable } from '../../src/db/types.js';
import { createTestDbFor, type TestDb } from '../helpers/test-db.js';
import {
  type Fixture,
  inRolledBackOwnerTx,
  rlsProblems,
  seedFixture,
  TENANT_ROWS,
  tenantOwnedTables,
} from './fixtures.js';

function sqlState(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

async function expectSqlState(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected SQLSTATE ${code}`).not.toBeNull();
  expect(sqlState(err)).toBe(code);
}

/** Counts rows of `table` as drm_app with no tenant set (the owner connection, role switched). */
async function countWithoutTenant(db: Db, table: string): Promise<number> {
  return db.asOwner(async (q) => {
    await q.query("SELECT set_config('role', 'drm_app', true)");
    const { rows } = await q.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
    return rows[0]!.n;
  });
}

const countAll = async (q: Queryable, table: string, where = 'true', params: unknown[] = []) =>
  (await q.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, params)).rows[0]!.n;

/** Row-level security: the catalog, and what drm_app can and cannot reach. */
export function rlsContract(engine: DbEngine): void {
  describe('row-level security', () => {
    let t: TestDb;
    let db: Db;
    let fx: Fixture;
    let tables: string[];

    beforeAll(async () => {
      // One connection, so the leak test below reuses the connection of the transaction before it.
      t = await createTestDbFor(engine, { poolMax: 1 });
      db = t.db;
      fx = await seedFixture(db);
      tables = await db.asOwner(tenantOwnedTables);
    });
    afterAll(() => t?.cleanup());

    it('every table with a tenant_id has RLS enabled, forced and a policy, and the fixture covers it', async () => {
      expect(tables.length).toBeGreaterThanOrEqual(13);
      expect(await db.asOwner(rlsProblems)).toEqual([]);
      expect([...tables].sort()).toEqual(Object.keys(TENANT_ROWS).sort());
    });

    it('the catalog check catches a dropped policy and a policy that is not forced', async () => {
      const problems = await inRolledBackOwnerTx(db, async (q) => {
        await q.exec('DROP POLICY tenant_isolation ON devices; ALTER TABLE jobs NO FORCE ROW LEVEL SECURITY');
        return rlsProblems(q);
      });
      expect(problems).toEqual(
        expect.arrayContaining(['devices: no policy', 'jobs: row level security not forced']),
      );
      expect(await db.asOwner(rlsProblems)).toEqual([]);
    });

    it('partitions of samples grant nothing to drm_app or drm_system (no way around the parent policy)', async () => {
      const { rows } = await db.asOwner((q) =>
        q.query<{ part: string; app: boolean; sys: boolean }>(
          `SELECT c.relname AS part,
                  has_table_privilege('drm_app', c.oid, 'SELECT,INSERT,UPDATE,DELETE') AS app,
                  has_table_privilege('drm_system', c.oid, 'SELECT,INSERT,UPDATE,DELETE') AS sys
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'samples'::regclass`,
        ),
      );
      expect(rows.length).toBeGreaterThanOrEqual(4);
      expect(rows.filter((r) => r.app || r.sys)).toEqual([]);
    });

    it('without a tenant, drm_app sees no row of any tenant-owned table (the owner sees both tenants)', async () => {
      for (const table of tables) {
        const owner = await db.asOwner((q) =>
          countAll(q, table, 'tenant_id = ANY($1)', [[fx.a.tenantId, fx.b.tenantId]]),
        );
        expect(owner, table).toBeGreaterThanOrEqual(2);
        expect(await countWithoutTenant(db, table), table).toBe(0);
      }
      expect(await countWithoutTenant(db, 'tenants')).toBe(0);
      expect(await countWithoutTenant(db, 'users')).toBe(0);
      expect(await countWithoutTenant(db, 'auth_tokens')).toBe(0);
    });

    it("inside tenant A every table shows A's rows only; B's are neither readable, updatable nor deletable", async () => {
      await db.withTenant(fx.a.tenantId, async (q) => {
        for (const table of tables) {
          expect(await countAll(q, table, 'tenant_id = $1', [fx.a.tenantId]), table).toBeGreaterThan(0);
          expect(await countAll(q, table, 'tenant_id <> $1', [fx.a.tenantId]), table).toBe(0);
        }
      });
      for (const table of tables) {
        const can = await db.asOwner(async (q) => {
          const { rows } = await q.query<{ u: boolean; d: boolean }>(
            "SELECT has_table_privilege('drm_app', $1, 'UPDATE') AS u, has_table_privilege('drm_app', $1, 'DELETE') AS d",
            [table],
          );
          return rows[0]!;
        });
        await db.withTenant(fx.a.tenantId, async (q) => {
          if (can.u) {
            const res = await q.query(`UPDATE ${table} SET tenant_id = tenant_id WHERE tenant_id = $1`, [
              fx.b.tenantId,
            ]);
            expect(res.rowCount, `update ${table}`).toBe(0);
          }
          if (can.d) {
            const res = await q.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [fx.b.tenantId]);
            expect(res.rowCount, `delete ${table}`).toBe(0);
          }
        });
      }
      expect(await db.asOwner((q) => countAll(q, 'devices', 'tenant_id = $1', [fx.b.tenantId]))).toBe(1);
    });

    it("inside tenant A, inserting a row with B's tenant_id is refused for every table", async () => {
      for (const table of tables) {
        const { sql, params } = TENANT_ROWS[table]!(fx.b);
        await expectSqlState(
          db.withTenant(fx.a.tenantId, (q) => q.query(sql, params)),
          '42501',
        );
      }
    });

    it('an update cannot move a row of A into B', async () => {
      await expectSqlState(
        db.withTenant(fx.a.tenantId, (q) => q.query('UPDATE schedules SET tenant_id = $1', [fx.b.tenantId])),
        '42501',
      );
    });

    it("composite foreign keys refuse a reference to another tenant's row", async () => {
      const device = TENANT_ROWS.devices!({ ...fx.a, siteId: fx.b.siteId, agentId: fx.a.agentId });
      await expectSqlState(
        db.withTenant(fx.a.tenantId, (q) => q.query(device.sql, device.params)),
        '23503',
      );
      // Even as the owner, whom RLS does not stop here, the key itself makes it impossible.
      const target = TENANT_ROWS.job_targets!({ ...fx.a, deviceId: fx.b.deviceId });
      await expectSqlState(
        db.asOwner((q) => q.query(target.sql, target.params)),
        '23503',
      );
    });

    it('a result needs a target of its job, and goes with that target', async () => {
      // A device of the tenant that the job never had: no target, so no result.
      const stray = randomUUID();
      await expectSqlState(
        db.withTenant(fx.a.tenantId, async (q) => {
          const device = TENANT_ROWS.devices!(fx.a, stray);
          await q.query(device.sql, device.params);
          const result = TENANT_ROWS.job_results!({ ...fx.a, deviceId: stray });
          await q.query(result.sql, result.params);
        }),
        '23503',
      );
      // Deleting the device deletes its target, and the target its results.
      const kept = await inRolledBackOwnerTx(db, async (q) => {
        const before = await countAll(q, 'job_results', 'tenant_id = $1', [fx.a.tenantId]);
        await q.query('DELETE FROM devices WHERE tenant_id = $1 AND id = $2', [fx.a.tenantId, fx.a.deviceId]);
        return { before, after: await countAll(q, 'job_results', 'tenant_id = $1', [fx.a.tenantId]) };
      });
      expect(kept.before).toBeGreaterThan(0);
      expect(kept.after).toBe(0);
      // So does deleting the job.
      const afterJob = await inRolledBackOwnerTx(db, async (q) => {
        await q.query('DELETE FROM jobs WHERE tenant_id = $1 AND id = $2', [fx.a.tenantId, fx.a.jobId]);
        return countAll(q, 'job_results', 'tenant_id = $1', [fx.a.tenantId]);
      });
      expect(afterJob).toBe(0);
    });

    it('users: password_hash is out of reach of drm_app; it sees members of the tenant and itself', async () => {
      const ctx = { tenantId: fx.a.tenantId, userId: fx.a.userId };
      await expectSqlState(
        db.withTenant(ctx, (q) => q.query('SELECT password_hash FROM users')),
        '42501',
      );
      await expectSqlState(
        db.withTenant(ctx, (q) => q.query('SELECT * FROM users')),
        '42501',
      );
      await expectSqlState(
        db.withTenant(ctx, (q) =>
          q.query("UPDATE users SET password_hash = 'x' WHERE id = $1", [fx.a.userId]),
        ),
        '42501',
      );
      const visible = await db.withTenant(ctx, (q) =>
        q.query<{ id: string }>('SELECT id FROM users ORDER BY id'),
      );
      expect(visible.rows.map((r) => r.id)).toEqual([fx.a.userId]);
      const self = await db.withTenant({ tenantId: fx.a.tenantId, userId: fx.outsiderId }, (q) =>
        q.query<{ id: string }>('SELECT id FROM users ORDER BY id'),
      );
      expect(self.rows.map((r) => r.id).sort()).toEqual([fx.a.userId, fx.outsiderId].sort());
      const hash = await db.asSystem((q) =>
        q.query<{ h: string }>('SELECT password_hash AS h FROM users WHERE id = $1', [fx.a.userId]),
      );
      expect(hash.rows[0]?.h).toBe('scrypt$secret');
    });

    it('users: a tenant admin may add an account, without a password hash', async () => {
      const id = randomUUID();
      await db.withTenant(fx.a.tenantId, (q) =>
        q.query("INSERT INTO users (id, email, name) VALUES ($1, $2, 'Invited')", [id, `${id}@example.com`]),
      );
      await expectSqlState(
        db.withTenant(fx.a.tenantId, (q) =>
          q.query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')", [
            randomUUID(),
            'p@example.com',
          ]),
        ),
        '42501',
      );
    });

    it("auth_tokens: drm_app sees only the acting user's tokens, and never their hashes", async () => {
      const mine = await db.withTenant({ tenantId: fx.a.tenantId, userId: fx.a.userId }, (q) =>
        q.query<{ user_id: string }>('SELECT user_id FROM auth_tokens'),
      );
      expect(mine.rows.map((r) => r.user_id)).toEqual([fx.a.userId]);
      await expectSqlState(
        db.withTenant({ tenantId: fx.a.tenantId, userId: fx.a.userId }, (q) =>
          q.query('SELECT token_hash FROM auth_tokens'),
        ),
        '42501',
      );
    });

    it('tenants: a customer sees itself and its MSP; the MSP sees its customers', async () => {
      const ids = async (tenantId: string) =>
        (await db.withTenant(tenantId, (q) => q.query<{ id: string }>('SELECT id FROM tenants'))).rows
          .map((r) => r.id)
          .sort();
      expect(await ids(fx.a.tenantId)).toEqual([fx.a.tenantId, fx.mspId].sort());
      expect(await ids(fx.mspId)).toEqual([fx.mspId, fx.a.tenantId, fx.b.tenantId].sort());
      expect(await ids(randomUUID())).toEqual([]);
    });

    it('the tenant does not outlive its transaction on a reused connection', async () => {
      const seen = await db.withTenant(fx.a.tenantId, (q) => countAll(q, 'sites'));
      expect(seen).toBeGreaterThan(0);
      // Same connection (pool of one): no role, no tenant left behind.
      const after = await db.asOwner(async (q) => {
        const { rows } = await q.query<{ tenant: string | null; role: string }>(
          "SELECT nullif(current_setting('app.tenant_id', true), '') AS tenant, current_user AS role",
        );
        return rows[0];
      });
      expect(after?.tenant).toBeNull();
      expect(after?.role).not.toMatch(/^drm_/);
      expect(await countWithoutTenant(db, 'sites')).toBe(0);
    });
  });
}
