import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DUMP_DIR_ENV, writeDumps } from './helpers/test-db.js';

/**
 * Once per test run, before any test process starts: the embedded database's bare and migrated
 * data folders, dumped to files that every test process then loads instead of running initdb
 * and the migrations itself (about 5 s per process, and every test file is a process).
 */
export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'drm-pglite-dumps-'));
  await writeDumps(dir);
  process.env[DUMP_DIR_ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
