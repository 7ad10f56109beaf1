import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

/** The dashboard workspace beside the hub. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

/** Where the dashboard's code comes from: its own sources, and the protocol it bundles. */
const SOURCES = [
  'dashboard/src',
  'dashboard/index.html',
  'dashboard/vite.config.ts',
  'dashboard/package.json',
  'protocol/src',
];

/** A build takes a few seconds; one that holds the lock this long has died. */
const STALE_LOCK_MS = 5 * 60_000;
const LOCK_POLL_MS = 200;

export type DashboardBuild = 'fresh' | 'built' | 'unavailable';

export interface EnsureDashboardOptions {
  log: Logger;
  /** The dashboard workspace; default the one beside this hub. */
  dir?: string;
}

async function mtime(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isDirectory()) return s.mtimeMs;
    let newest = s.mtimeMs;
    for (const entry of await readdir(path)) newest = Math.max(newest, await mtime(join(path, entry)));
    return newest;
  } catch {
    return 0;
  }
}

/** Newest change among the sources, or 0 when there are none (an install with the build only). */
async function sourcesChangedAt(dashboardDir: string): Promise<number> {
  const root = join(dashboardDir, '..');
  const times = await Promise.all(SOURCES.map((p) => mtime(join(root, p))));
  return Math.max(...times);
}

/** Why the build in `dist` cannot be served as is, or `null` when it is current. */
export async function dashboardStaleness(dashboardDir = DASHBOARD_DIR): Promise<string | null> {
  const builtAt = await mtime(join(dashboardDir, 'dist', 'index.html'));
  if (builtAt === 0) return 'not built';
  return (await sourcesChangedAt(dashboardDir)) > builtAt ? 'sources changed since the last build' : null;
}

function viteBin(dashboardDir: string): string | null {
  try {
    const require = createRequire(join(dashboardDir, 'package.json'));
    const pkgPath = require.resolve('vite/package.json');
    const pkg = require(pkgPath) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.vite;
    return bin ? join(pkgPath, '..', bin) : null;
  } catch {
    return null;
  }
}

function runBuild(dashboardDir: string, bin: string, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    // A child process: the bundler's memory goes back to the system when it is done.
    const child = spawn(process.execPath, [bin, 'build', '--logLevel', 'warn'], {
      cwd: dashboardDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        if (output.trim()) log.debug({ output: output.trim() }, 'dashboard build output');
        resolve();
      } else reject(new Error(`the dashboard build failed (exit ${code}):\n${output.trim()}`));
    });
  });
}

/**
 * A lock shared by every process on this machine that builds this dashboard (two hubs, test
 * files in parallel), so they never write `dist` at the same time. `mkdir` is atomic.
 */
async function withLock<T>(dashboardDir: string, fn: () => Promise<T>): Promise<T> {
  const id = createHash('sha256').update(dashboardDir).digest('hex').slice(0, 16);
  const lock = join(tmpdir(), `drm-dashboard-build-${id}.lock`);
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (await mtime(lock));
      if (age > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the dashboard when `dist/index.html` is missing or older than its sources, so
 * `npm start` serves a current dashboard without a separate build step. Without the sources
 * or without Vite (an install that ships `dist` only) it serves what there is, and says so.
 * A failed build throws with the bundler's output.
 */
export async function ensureDashboardBuilt(opts: EnsureDashboardOptions): Promise<DashboardBuild> {
  const dir = opts.dir ?? DASHBOARD_DIR;
  const log = opts.log.child({ component: 'dashboard' });
  const why = await dashboardStaleness(dir);
  if (!why) return 'fresh';
  const hasSources =
    (await mtime(join(dir, 'src'))) > 0 && (await readFile(join(dir, 'index.html')).catch(() => null));
  const bin = viteBin(dir);
  if (!hasSources || !bin) {
    log.warn({ why }, 'the dashboard cannot be built here (no sources or no Vite); serving what is in dist');
    return 'unavailable';
  }
  return withLock(dir, async () => {
    // Another process may have built it while this one waited for the lock.
    const still = await dashboardStaleness(dir);
    if (!still) return 'fresh';
    const started = Date.now();
    log.info({ why: still }, 'building the dashboard');
    await runBuild(dir, bin, log);
    log.info({ ms: Date.now() - started }, 'dashboard built');
    return 'built';
  });
}
