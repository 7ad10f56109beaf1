import { appendFile, cp, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationChecksumError, MigrationFailedError } from '../../src/db/errors.js';
import { migrate, migrationStatus } from '../../src/db/migrate.js';
import { defaultMigrationsDir, loadMigrations, MIGRATION_PHASES } from '../../src/db/migration-files.js';
import { createPgDb } from '../../src/db/pg-db.js';
import type { DbEngine } from '../../src/db/types.js';
import { createTestDbFor, type TestDb, testLog } from '../helpers/test-db.js';

/** The runner: apply, idempotence, phases, tracking, edits, failures, concurrency. */
export function migrationContract(engine: DbEngine): void {
  describe('migrations', () => {
    let dir: string;
    const opened: TestDb[] = [];
    const fresh = async (migrated = false) => {
      const t = await createTestDbFor(engine, { migrate: migrated });
      opened.push(t);
      return t;
    };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'drm-migrations-'));
      await cp(defaultMigrationsDir(), dir, { recursive: true });
    });
    afterAll(async () => {
      await Promise.all(opened.map((t) => t.cleanup()));
      await rm(dir, { recursive: true, force: true });
    });

    it('applies every file in phase order, then file-name order, and a second run is a no-op', async () => {
      const { db } = await fresh();
      const files = await loadMigrations(defaultMigrationsDir());
      expect(files.length).toBeGreaterThanOrEqual(8);
      const first = await migrate(db);
      expect(first.applied).toEqual(files.map((f) => ({ phase: f.phase, name: f.name })));
      const phaseOrder = first.applied.map((f) => MIGRATION_PHASES.indexOf(f.phase));
      expect(phaseOrder).toEqual([...phaseOrder].sort((x, y) => x - y));
      expect((await migrate(db)).applied).toEqual([]);
      const status = await migrationStatus(db);
      expect(status.map((s) => s.state)).toEqual(files.map(() => 'applied'));
      expect(status.every((s) => s.appliedAt instanceof Date)).toBe(true);
    });

    it('applies only the phases asked for; the rest stay pending', async () => {
      const { db } = await fresh();
      const res = await migrate(db, { phases: ['schema'] });
      expect(res.applied.length).toBeGreaterThan(0);
      expect(res.applied.every((f) => f.phase === 'schema')).toBe(true);
      const status = await migrationStatus(db);
      expect(status.filter((s) => s.phase !== 'schema').every((s) => s.state === 'pending')).toBe(true);
      await migrate(db, { phases: ['rls', 'indexes', 'seeds'] });
      expect((await migrationStatus(db)).every((s) => s.state === 'applied')).toBe(true);
    });

    it('two runners started together apply each file exactly once', async () => {
      const t = await fresh();
      const other = engine === 'postgres' && t.url ? createPgDb({ url: t.url, log: testLog, max: 2 }) : t.db;
      try {
        const [x, y] = await Promise.all([migrate(t.db), migrate(other)]);
        const files = await loadMigrations(defaultMigrationsDir());
        expect(x.applied.length + y.applied.length).toBe(files.length);
        const { rows } = await t.db.asOwner((q) =>
          q.query<{ n: number }>('SELECT count(*) AS n FROM drm_migrations'),
        );
        expect(rows[0]?.n).toBe(files.length);
      } finally {
        if (other !== t.db) await other.close();
      }
    });

    it('refuses an applied file that was edited, naming it, and reports it as changed', async () => {
      const { db } = await fresh(true);
      expect((await migrate(db, { dir })).applied).toEqual([]);
      const edited = join(dir, 'rls', '001_policies.sql');
      await appendFile(edited, '\n-- edited after it was applied\n');
      try {
        await expect(migrate(db, { dir })).rejects.toThrow(MigrationChecksumError);
        await expect(migrate(db, { dir })).rejects.toThrow(/rls\/001_policies\.sql/);
        const status = await migrationStatus(db, { dir });
        expect(status.filter((s) => s.state === 'changed').map((s) => `${s.phase}/${s.name}`)).toEqual([
          'rls/001_policies.sql',
        ]);
      } finally {
        await cp(join(defaultMigrationsDir(), 'rls', '001_policies.sql'), edited);
      }
    });

    it('applies a new file, and reports an applied file that disappeared as missing', async () => {
      const { db } = await fresh(true);
      const added = join(dir, 'indexes', '900_contract_extra.sql');
      await writeFile(added, 'CREATE INDEX contract_extra_idx ON devices (tenant_id, address);\n');
      try {
        expect(
          (await migrationStatus(db, { dir })).find((s) => s.name === '900_contract_extra.sql')?.state,
        ).toBe('pending');
        expect((await migrate(db, { dir })).applied).toEqual([
          { phase: 'indexes', name: '900_contract_extra.sql' },
        ]);
      } finally {
        await unlink(added);
      }
      expect(
        (await migrationStatus(db, { dir })).find((s) => s.name === '900_contract_extra.sql')?.state,
      ).toBe('missing');
    });

    it('rolls a failing file back entirely and records nothing for it', async () => {
      const { db } = await fresh(true);
      const bad = join(dir, 'seeds', '900_contract_bad.sql');
      await writeFile(bad, 'CREATE TABLE contract_half_done (x int);\nSELECT 1 / 0;\n');
      try {
        const err = await migrate(db, { dir }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MigrationFailedError);
        expect((err as MigrationFailedError).file).toBe('seeds/900_contract_bad.sql');
        const { rows } = await db.asOwner((q) =>
          q.query<{ table: string | null; tracked: number }>(
            `SELECT to_regclass('contract_half_done')::text AS table,
                    (SELECT count(*) FROM drm_migrations WHERE name = '900_contract_bad.sql')::int AS tracked`,
          ),
        );
        expect(rows[0]).toEqual({ table: null, tracked: 0 });
      } finally {
        await unlink(bad);
      }
    });
  });
}
