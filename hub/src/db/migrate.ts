import type { Logger } from 'pino';
import { MigrationChecksumError, MigrationFailedError } from './errors.js';
import {
  defaultMigrationsDir,
  loadMigrations,
  MIGRATION_PHASES,
  type MigrationFile,
  type MigrationPhase,
} from './migration-files.js';
import type { Db, Queryable } from './types.js';

export interface MigrateOptions {
  /** Phases to apply (default all, in order). Files of every phase are still checked for edits. */
  phases?: readonly MigrationPhase[] | undefined;
  /** The migrations folder (default: the repository's `migrations/`). */
  dir?: string | undefined;
  log?: Logger | undefined;
}

export interface MigrateResult {
  /** Files applied by this call, in order; empty when everything was applied already. */
  applied: { phase: MigrationPhase; name: string }[];
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing';

export interface MigrationStatus {
  phase: MigrationPhase;
  name: string;
  /**
   * `changed`: applied, but the file differs now (migrate refuses to run);
   * `missing`: recorded as applied, but no such file exists any more.
   */
  state: MigrationState;
  checksum: string;
  appliedAt: Date | null;
}

interface AppliedRow {
  phase: MigrationPhase;
  name: string;
  checksum: string;
  applied_at: Date;
}

// pg_advisory_xact_lock key ('drm_mig' in ASCII). Advisory locks are per database.
const LOCK_KEY = '28273311749073255';

const TRACKING_TABLE = `CREATE TABLE IF NOT EXISTS drm_migrations (
  phase text NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (phase, name)
)`;

async function lock(q: Queryable): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
}

async function readApplied(q: Queryable): Promise<AppliedRow[]> {
  const { rows } = await q.query<{ exists: boolean }>(
    "SELECT to_regclass('drm_migrations') IS NOT NULL AS exists",
  );
  if (!rows[0]?.exists) return [];
  return (
    await q.query<AppliedRow>(
      'SELECT phase, name, checksum, applied_at FROM drm_migrations ORDER BY phase, name',
    )
  ).rows;
}

function fileId(f: { phase: string; name: string }): string {
  return `${f.phase}/${f.name}`;
}

function assertUnchanged(file: MigrationFile, applied: AppliedRow | undefined): void {
  if (applied && applied.checksum !== file.checksum) {
    throw new MigrationChecksumError(fileId(file), applied.checksum, file.checksum);
  }
}

/**
 * Applies pending migration files, each with its tracking row in one transaction as the
 * owner. Every file transaction first takes a transaction-level advisory lock and re-reads
 * the tracking row, so hubs starting together apply each file once: the second waits, then
 * finds it applied. An applied file whose content changed stops everything before anything runs.
 */
export async function migrate(db: Db, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const dir = opts.dir ?? defaultMigrationsDir();
  const phases = opts.phases ?? MIGRATION_PHASES;
  const all = await loadMigrations(dir);
  await db.asOwner(async (q) => {
    await lock(q);
    await q.exec(TRACKING_TABLE);
  });

  const applied = new Map((await db.asOwner(readApplied)).map((r) => [fileId(r), r]));
  for (const file of all) assertUnchanged(file, applied.get(fileId(file)));

  const result: MigrateResult = { applied: [] };
  for (const file of all.filter((f) => phases.includes(f.phase) && !applied.has(fileId(f)))) {
    const started = Date.now();
    const ran = await db
      .asOwner(async (q) => {
        await lock(q);
        const { rows } = await q.query<AppliedRow>(
          'SELECT phase, name, checksum, applied_at FROM drm_migrations WHERE phase = $1 AND name = $2',
          [file.phase, file.name],
        );
        assertUnchanged(file, rows[0]);
        if (rows[0]) return false;
        await q.exec(file.sql);
        await q.query('INSERT INTO drm_migrations (phase, name, checksum) VALUES ($1, $2, $3)', [
          file.phase,
          file.name,
          file.checksum,
        ]);
        return true;
      })
      .catch((err: unknown) => {
        if (err instanceof MigrationChecksumError) throw err;
        throw new MigrationFailedError(fileId(file), err);
      });
    if (ran) {
      result.applied.push({ phase: file.phase, name: file.name });
      opts.log?.info({ migration: fileId(file), ms: Date.now() - started }, 'migration applied');
    }
  }
  if (result.applied.length === 0) opts.log?.debug('migrations up to date');
  return result;
}

/** Every migration file with its state, plus applied ones whose file is gone (`missing`). */
export async function migrationStatus(
  db: Db,
  opts: Pick<MigrateOptions, 'dir'> = {},
): Promise<MigrationStatus[]> {
  const files = await loadMigrations(opts.dir ?? defaultMigrationsDir());
  const applied = new Map((await db.asOwner(readApplied)).map((r) => [fileId(r), r]));
  const out: MigrationStatus[] = files.map((f) => {
    const row = applied.get(fileId(f));
    applied.delete(fileId(f));
    const state: MigrationState = !row ? 'pending' : row.checksum === f.checksum ? 'applied' : 'changed';
    return { phase: f.phase, name: f.name, state, checksum: f.checksum, appliedAt: row?.applied_at ?? null };
  });
  for (const row of applied.values()) {
    out.push({
      phase: row.phase,
      name: row.name,
      state: 'missing',
      checksum: row.checksum,
      appliedAt: row.applied_at,
    });
  }
  return out;
}

/** `status(db)`: the name the legacy `migrate.sh status` used. */
export const status = migrationStatus;
