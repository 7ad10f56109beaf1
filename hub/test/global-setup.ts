import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DUMP_DIR_ENV, dropScratchDatabases, RUN_ID_ENV, writeDumps } from './helpers/test-db.js';

/**
 * Once per test run, before any test process starts: the embedded database's bare and migrated
 * data folders, dumped to files that every test process then loads instead of running initdb
 * and the migrations itself (about 5 s per process, and every test file is a process). On
 * PostgreSQL, the run's scratch databases carry the run's id, and any a test left behind is
 * dropped at the end.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'drm-pglite-dumps-'));
  await writeDumps(dir);
  process.env[DUMP_DIR_ENV] = dir;
  const runId = randomBytes(4).toString('hex');
  process.env[RUN_ID_ENV] = runId;
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    const left = await dropScratchDatabases(runId);
    if (left.length > 0)
      console.warn(`dropped ${left.length} scratch database(s) a test left: ${left.join(', ')}`);
  };
}
