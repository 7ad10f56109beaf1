import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dashboardStaleness, ensureDashboardBuilt } from '../src/dashboard-assets.js';

/**
 * When `npm start` builds the dashboard: a workspace laid out like this one (`dashboard/` with
 * its sources, `protocol/src` which it bundles) in a temporary folder, with file times set.
 * The build itself runs in the browser tests, against the real sources.
 */

let root: string;
let dashboard: string;
const log = pino({ level: 'silent' });

function touch(path: string, secondsAgo: number, text = 'x'): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, t, t);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'drm-dashboard-assets-'));
  dashboard = join(root, 'dashboard');
  touch(join(dashboard, 'src', 'main.ts'), 100);
  touch(join(dashboard, 'index.html'), 100);
  touch(join(root, 'protocol', 'src', 'index.ts'), 100);
  // Directories get the time of their last change; set them back too.
  const t = new Date(Date.now() - 100_000);
  for (const d of [join(dashboard, 'src'), join(root, 'protocol', 'src'), dashboard]) utimesSync(d, t, t);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('dashboardStaleness', () => {
  it('not built', async () => {
    expect(await dashboardStaleness(dashboard)).toBe('not built');
  });

  it('a build newer than every source is current', async () => {
    touch(join(dashboard, 'dist', 'index.html'), 10);
    expect(await dashboardStaleness(dashboard)).toBeNull();
  });

  it.each([
    ['a dashboard source', 'dashboard/src/views/page.ts'],
    ['the protocol it bundles', 'protocol/src/rest/jobs.ts'],
    ['its Vite config', 'dashboard/vite.config.ts'],
  ])('a change to %s after the build makes it stale', async (_what, file) => {
    touch(join(dashboard, 'dist', 'index.html'), 10);
    touch(join(root, file), 1);
    expect(await dashboardStaleness(dashboard)).toBe('sources changed since the last build');
  });
});

describe('ensureDashboardBuilt', () => {
  it('does nothing when the build is current', async () => {
    touch(join(dashboard, 'dist', 'index.html'), 10);
    expect(await ensureDashboardBuilt({ log, dir: dashboard })).toBe('fresh');
  });

  it('serves what there is when it cannot build (no Vite next to these sources)', async () => {
    touch(join(dashboard, 'dist', 'index.html'), 200);
    expect(await ensureDashboardBuilt({ log, dir: dashboard })).toBe('unavailable');
  });
});
