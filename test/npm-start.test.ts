import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { DB_FILE, SCHEMA_VERSION } from '../agent/src/store/index.js';
import { DEMO_IDS } from '../hub/src/seed/demo.js';

/**
 * `npm start` as a newcomer runs it: one process with the hub (embedded PostgreSQL and broker),
 * the simulated switch and a local agent that enrolls itself and polls it. The demo device's
 * samples reach the API, Ctrl-C stops everything with exit code 0, and a second start reuses
 * the data folder and the same agent.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'drm-npm-start-'));

interface Started {
  child: ChildProcess;
  banner: Map<string, string>;
  output: () => string;
}

/** Starts the demo and resolves once its banner is printed; its lines are `label   value`. */
async function start(): Promise<Started> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    MQTT_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'demo/src/start.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const deadline = Date.now() + 170_000;
  while (!out.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`no banner from npm start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const banner = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^ {2}([A-Z][A-Za-z ]+?) {2,}(.+)$/.exec(line);
    if (m?.[1] && m[2]) banner.set(m[1], m[2]);
  }
  return { child, banner, output: () => out };
}

async function stop(s: Started): Promise<number | null> {
  s.child.kill('SIGINT');
  const [code] = (await once(s.child, 'exit')) as [number | null];
  return code;
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  let first: { agent: string; url: string; password: string } | undefined;

  it('starts hub, agent and simulated switch; samples of the switch reach the API; Ctrl-C stops', async () => {
    const s = await start();
    try {
      const url = s.banner.get('Dashboard')!;
      const password = s.banner.get('Password')!;
      const agent = s.banner.get('Local agent')!;
      expect(url).toMatch(/^http:\/\/localhost:\d+\/$/);
      expect(s.banner.get('Simulated switch')).toMatch(/^udp:\/\/127\.0\.0\.1:\d+/);
      expect(agent).toMatch(/^[0-9a-f-]{36} /);
      first = { agent: agent.slice(0, 36), url, password };

      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>');

      const login = await json(`${url}api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@example.com', password }),
      });
      expect(login.status).toBe(200);
      const auth = { authorization: `Bearer ${(login.body as { token: string }).token}` };
      const latest = `${url}api/v1/tenants/${DEMO_IDS.customer}/devices/${DEMO_IDS.device}/latest`;
      const deadline = Date.now() + 60_000;
      let items: { name?: string; valueNum?: number | null }[] = [];
      while (Date.now() < deadline) {
        const res = await json(latest, { headers: auth });
        items = (res.body as { items: typeof items }).items ?? [];
        if (items.some((i) => i.name === 'IF-MIB::ifInOctets.2')) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const inOctets = items.find((i) => i.name === 'IF-MIB::ifInOctets.2');
      expect(inOctets?.valueNum).toBeGreaterThan(0);
      const agents = await json(`${url}api/v1/tenants/${DEMO_IDS.customer}/agents`, { headers: auth });
      const listed = (agents.body as { items: { id: string; state: string }[] }).items;
      expect(listed.find((a) => a.id === first?.agent)?.state).toBe('online');
    } finally {
      expect(await stop(s)).toBe(0);
    }
  }, 240_000);

  it('a second start reuses the data: same password, same agent, no new enrollment', async () => {
    expect(first).toBeDefined();
    // The agent's store as the version before the last schema step left it: upgraded on start.
    const agentDb = new Database(join(dataDir, 'demo-agent', DB_FILE));
    agentDb.exec(`
      DROP TRIGGER event_queue_counted_in;
      DROP TRIGGER event_queue_counted_out;
      ALTER TABLE event_queue_totals DROP COLUMN bytes;
      CREATE TRIGGER event_queue_counted_in AFTER INSERT ON event_queue BEGIN
        UPDATE event_queue_totals SET count = count + 1 WHERE singleton = 1;
      END;
      CREATE TRIGGER event_queue_counted_out AFTER DELETE ON event_queue BEGIN
        UPDATE event_queue_totals SET count = count - 1 WHERE singleton = 1;
      END;`);
    agentDb.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    agentDb.close();
    const s = await start();
    try {
      expect(s.banner.get('Password')).toBe(first?.password);
      expect(s.banner.get('Local agent')?.slice(0, 36)).toBe(first?.agent);
      expect(s.output()).not.toMatch(/demo agent enrolled/);
    } finally {
      expect(await stop(s)).toBe(0);
    }
  }, 240_000);
});
