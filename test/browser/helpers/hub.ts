import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ensureDashboardBuilt } from '../../../hub/src/dashboard-assets.js';
import { type DemoSeed, seedDemo } from '../../../hub/src/seed/demo.js';
import { createTestHub, type TestHub } from '../../../hub/test/helpers/hub.js';

export const DEMO_PASSWORD = 'browser-test-password';

/** A real hub on a loopback port serving the built dashboard, with the demo data in it. */
export interface DashboardHub {
  hub: TestHub;
  /** `http://127.0.0.1:PORT` */
  url: string;
  demo: DemoSeed;
  close(): Promise<void>;
}

/**
 * Builds the dashboard if its build is missing or stale (once, even with several test files at
 * a time: the build holds a lock), then starts a hub on a fresh database with the demo seeded.
 */
export async function startDashboardHub(env: Record<string, string> = {}): Promise<DashboardHub> {
  const log = pino({ level: 'silent' });
  const build = await ensureDashboardBuilt({ log });
  if (build === 'unavailable') throw new Error('the dashboard cannot be built here (no sources or no Vite)');
  const hub = await createTestHub(env);
  await hub.app.listen({ port: 0, host: '127.0.0.1' });
  const dataDir = mkdtempSync(join(tmpdir(), 'drm-browser-'));
  const demo = await seedDemo(hub.db, hub.app.secrets, { password: DEMO_PASSWORD, dataDir, log });
  return {
    hub,
    url: `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`,
    demo,
    async close() {
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
