import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrationLayoutError } from './errors.js';

/** The phases, in the order they apply (the legacy `migrate.sh up|schema|rls|indexes|seeds`). */
export const MIGRATION_PHASES = ['schema', 'rls', 'indexes', 'seeds'] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

export interface MigrationFile {
  phase: MigrationPhase;
  /** File name, e.g. `001_core.sql`. */
  name: string;
  /** sha-256 (hex) of the file with line endings normalised to LF. */
  checksum: string;
  sql: string;
}

const FILE_RE = /^\d{3}_[a-z0-9_]+\.sql$/;

/**
 * The repository's `migrations/` folder. This module sits at `hub/src/db/` in sources and at
 * `hub/dist/db/` when built: the same depth, so one relative path serves both.
 */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../../../migrations/', import.meta.url));
}

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * Reads `dir/<phase>/NNN_name.sql` for the given phases, in apply order: phase order, then
 * file name. A `.sql` file with another name is an error (a typo would silently never run).
 */
export async function loadMigrations(
  dir: string,
  phases: readonly MigrationPhase[] = MIGRATION_PHASES,
): Promise<MigrationFile[]> {
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new MigrationLayoutError(`migrations folder not found: ${dir}`);
  const files: MigrationFile[] = [];
  for (const phase of MIGRATION_PHASES) {
    if (!phases.includes(phase)) continue;
    const names = await readdir(join(dir, phase)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const name of names.filter((n) => n.endsWith('.sql')).sort()) {
      if (!FILE_RE.test(name)) {
        throw new MigrationLayoutError(`migration file ${phase}/${name} must be named NNN_name.sql`);
      }
      const sql = await readFile(join(dir, phase, name), 'utf8');
      files.push({ phase, name, checksum: checksumOf(sql), sql });
    }
  }
  return files;
}
