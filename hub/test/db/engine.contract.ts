import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidContextError, NestedTransactionError } from '../../src/db/errors.js';
import { ensureSamplePartitions } from '../../src/db/sample-partitions.js';
import type { Db, DbEngine } from '../../src/db/types.js';
import { createTestDbFor, type TestDb } from '../helpers/test-db.js';
import { type Fixture, seedFixture } from './fixtures.js';

/** Transactions, roles, value types, errors and partitions: what both engines must do alike. */
export function engineContract(engine: DbEngine): void {
  describe('engine', () => {
    let t: TestDb;
    let db: Db;
    let fx: Fixture;

    beforeAll(async () => {
      t = await createTestDbFor(engine);
      db = t.db;
      fx = await seedFixture(db);
    });
    afterAll(() => t?.cleanup());

    it('reports its engine and answers ping', async () => {
      expect(db.engine).toBe(engine);
      await db.ping();
    });

    it('runs each scope as its role with its settings', async () => {
      const sql =
        "SELECT current_user AS role, current_setting('app.tenant_id', true) AS tenant, current_setting('app.user_id', true) AS usr";
      const tenant = await db.withTenant({ tenantId: fx.a.tenantId, userId: fx.a.userId }, (q) =>
        q.query(sql),
      );
      expect(tenant.rows[0]).toEqual({ role: 'drm_app', tenant: fx.a.tenantId, usr: fx.a.userId });
      const bare = await db.withTenant(fx.a.tenantId, (q) => q.query(sql));
      expect(bare.rows[0]).toMatchObject({ role: 'drm_app', tenant: fx.a.tenantId, usr: '' });
      const system = await db.asSystem((q) => q.query<{ role: string; tenant: string }>(sql));
      expect(system.rows[0]).toMatchObject({ role: 'drm_system', tenant: '' });
      const owner = await db.asOwner((q) => q.query<{ role: string }>(sql));
      expect(owner.rows[0]?.role).not.toMatch(/^drm_/);
    });

    it('refuses ids that are not UUIDs before touching the database', async () => {
      await expect(db.withTenant('not-a-uuid', async () => 1)).rejects.toThrow(InvalidContextError);
      await expect(
        db.withTenant({ tenantId: fx.a.tenantId, userId: "x', true); --" }, async () => 1),
      ).rejects.toThrow(InvalidContextError);
    });

    it('rolls everything back when the function throws, and rethrows the same error', async () => {
      const id = randomUUID();
      const boom = new Error('boom');
      const caught = await db
        .withTenant(fx.a.tenantId, async (q) => {
          await q.query("INSERT INTO sites (tenant_id, id, name) VALUES ($1, $2, 'doomed')", [
            fx.a.tenantId,
            id,
          ]);
          throw boom;
        })
        .catch((e: unknown) => e);
      expect(caught).toBe(boom);
      const failed = await db
        .withTenant(fx.a.tenantId, async (q) => {
          await q.query("INSERT INTO sites (tenant_id, id, name) VALUES ($1, $2, 'doomed 2')", [
            fx.a.tenantId,
            id,
          ]);
          await q.query('SELECT 1 / 0');
        })
        .catch((e: unknown) => e);
      expect((failed as { code?: string }).code).toBe('22012');
      const left = await db.asSystem((q) => q.query('SELECT 1 FROM sites WHERE id = $1', [id]));
      expect(left.rowCount).toBe(0);
      // The database is still usable afterwards.
      expect((await db.withTenant(fx.a.tenantId, (q) => q.query('SELECT 1 AS one'))).rows).toEqual([
        { one: 1 },
      ]);
    });

    it('refuses a transaction started inside another, and rolls the outer one back', async () => {
      const id = randomUUID();
      const err = await db
        .withTenant(fx.a.tenantId, async (q) => {
          await q.query("INSERT INTO sites (tenant_id, id, name) VALUES ($1, $2, 'outer')", [
            fx.a.tenantId,
            id,
          ]);
          await db.asSystem(async () => 1);
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NestedTransactionError);
      expect((await db.asSystem((q) => q.query('SELECT 1 FROM sites WHERE id = $1', [id]))).rowCount).toBe(0);
      // Work left to run after the transaction has finished may open its own.
      let later: Promise<number> | undefined;
      await db.withTenant(fx.a.tenantId, async () => {
        later = new Promise((resolve) => setTimeout(resolve, 5)).then(() => db.asSystem(async () => 7));
      });
      expect(await later).toBe(7);
    });

    it('returns values the same way on both engines', async () => {
      const { rows } = await db.asOwner((q) =>
        q.query(
          `SELECT 42::int8 AS small, 9007199254740993::int8 AS big, count(*) AS n, 1.50::numeric AS num,
                  2::int4 AS i4, 1.5::float8 AS f8, true AS yes,
                  '2024-02-29 12:34:56.789+00'::timestamptz AS ts, '2024-02-29'::date AS day,
                  '\\x00ff10'::bytea AS bin, '{"a":[1,"x",null]}'::jsonb AS doc,
                  ARRAY['a','b c']::text[] AS texts, ARRAY[$1::uuid] AS ids, ARRAY[1, 9007199254740993]::int8[] AS bigs,
                  NULL::int8 AS nothing
             FROM (VALUES (1), (2)) v(x)`,
          [fx.a.tenantId],
        ),
      );
      expect(rows[0]).toEqual({
        small: 42,
        big: '9007199254740993',
        n: 2,
        num: '1.50',
        i4: 2,
        f8: 1.5,
        yes: true,
        ts: new Date('2024-02-29T12:34:56.789Z'),
        day: '2024-02-29',
        bin: Buffer.from([0, 255, 16]),
        doc: { a: [1, 'x', null] },
        texts: ['a', 'b c'],
        ids: [fx.a.tenantId],
        bigs: [1, '9007199254740993'],
        nothing: null,
      });
      expect(Buffer.isBuffer(rows[0]?.bin)).toBe(true);
    });

    it('takes parameters the same way: Date, Buffer, arrays, objects for jsonb', async () => {
      const id = randomUUID();
      const at = new Date('2024-03-01T00:00:00.123Z');
      const { rows } = await db.withTenant(fx.a.tenantId, (q) =>
        q.query(
          `INSERT INTO devices (tenant_id, id, site_id, name, address, tags, snmp, created_at)
           VALUES ($1, $2, $3, $4, '192.0.2.9', $5, $6, $7)
           RETURNING tags, snmp, created_at, tenant_id`,
          [fx.a.tenantId, id, fx.a.siteId, `types ${id}`, ['x', 'y'], { version: '2c', port: 1161 }, at],
        ),
      );
      expect(rows[0]).toEqual({
        tags: ['x', 'y'],
        snmp: { version: '2c', port: 1161 },
        created_at: at,
        tenant_id: fx.a.tenantId,
      });
      const { rows: agents } = await db.withTenant(fx.a.tenantId, (q) =>
        q.query('SELECT config_revision, outbox_bytes FROM agents WHERE id = $1', [fx.a.agentId]),
      );
      expect(agents[0]).toEqual({ config_revision: 0, outbox_bytes: 0 });
    });

    it('reports constraint violations with their SQLSTATE and constraint name', async () => {
      const err = await db
        .withTenant(fx.a.tenantId, (q) =>
          q.query(
            'INSERT INTO sites (tenant_id, name) SELECT tenant_id, upper(name) FROM sites WHERE id = $1',
            [fx.a.siteId],
          ),
        )
        .then(
          () => ({}) as { code?: string; constraint?: string },
          (e: unknown) => e as { code?: string; constraint?: string },
        );
      expect(err.code).toBe('23505');
      expect(err.constraint).toBe('sites_name_key');
    });

    it('routes samples to monthly partitions and moves stray rows out of the default one', async () => {
      const insert = (id: string, ts: string) =>
        db.withTenant(fx.a.tenantId, (q) =>
          q.query(
            `INSERT INTO samples (tenant_id, id, device_id, ts, oid, value_num)
             VALUES ($1, $2, $3, $4, '1.3.6.1.2.1.2.2.1.10.1', 1) ON CONFLICT DO NOTHING`,
            [fx.a.tenantId, id, fx.a.deviceId, ts],
          ),
        );
      const partitionOf = async (id: string) =>
        (
          await db.asOwner((q) =>
            q.query<{ part: string }>('SELECT tableoid::regclass::text AS part FROM samples WHERE id = $1', [
              id,
            ]),
          )
        ).rows[0]?.part;
      const now = new Date();
      const current = `samples_${now.getUTCFullYear()}_${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
      const recent = randomUUID();
      await insert(recent, now.toISOString());
      expect(await partitionOf(recent)).toBe(current);

      const old = randomUUID();
      await insert(old, '2001-01-15T10:00:00Z');
      expect((await insert(old, '2001-01-15T10:00:00Z')).rowCount).toBe(0); // a replay
      expect(await partitionOf(old)).toBe('samples_default');
      const made = await db.asOwner((q) =>
        q.query<{ n: number }>("SELECT drm_ensure_sample_partitions('2001-01-01', 1) AS n"),
      );
      expect(made.rows[0]?.n).toBe(1);
      expect(await partitionOf(old)).toBe('samples_2001_01');
      const again = await db.asOwner((q) =>
        q.query<{ n: number }>("SELECT drm_ensure_sample_partitions('2001-01-20', 1) AS n"),
      );
      expect(again.rows[0]?.n).toBe(0);
      const visible = await db.withTenant(fx.a.tenantId, (q) =>
        q.query('SELECT id FROM samples WHERE id = ANY($1)', [[recent, old]]),
      );
      expect(visible.rowCount).toBe(2);
    });

    it('prepares sample partitions ahead once, however many replicas ask at once', async () => {
      const from = new Date('2033-02-11T00:00:00Z');
      const made = await Promise.all([1, 2, 3].map(() => ensureSamplePartitions(db, { from, months: 2 })));
      expect(made.reduce((a, b) => a + b, 0)).toBe(3);
      const { rows } = await db.asOwner((q) =>
        q.query<{ part: string }>(
          "SELECT relname AS part FROM pg_class WHERE relkind = 'r' AND relname LIKE 'samples_2033_%' ORDER BY relname",
        ),
      );
      expect(rows.map((r) => r.part)).toEqual(['samples_2033_02', 'samples_2033_03', 'samples_2033_04']);
      expect(await ensureSamplePartitions(db, { from, months: 2 })).toBe(0);
    });

    it('ships the catalogs, readable but not writable by drm_app', async () => {
      const { rows } = await db.withTenant(fx.a.tenantId, (q) =>
        q.query<{ name: string }>(
          `SELECT name FROM mib_objects WHERE oid IN ('1.3.6.1.2.1.1.1', '1.3.6.1.2.1.31.1.1.1.6') ORDER BY oid`,
        ),
      );
      expect(rows.map((r) => r.name)).toEqual(['sysDescr', 'ifHCInOctets']);
      const tr = await db.withTenant(fx.a.tenantId, (q) =>
        q.query<{ type: string; writable: boolean }>(
          "SELECT type, writable FROM tr181_parameters WHERE path = 'Device.ManagementServer.PeriodicInformInterval'",
        ),
      );
      expect(tr.rows).toEqual([{ type: 'unsignedInt', writable: true }]);
      const err = await db
        .withTenant(fx.a.tenantId, (q) =>
          q.query("INSERT INTO mib_objects (oid, name, module) VALUES ('1.2.3', 'x', 'X')"),
        )
        .then(
          () => ({}) as { code?: string },
          (e: unknown) => e as { code?: string },
        );
      expect(err.code).toBe('42501');
    });
  });
}
