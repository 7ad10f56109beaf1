import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { EnrollmentTokenCreated } from '@drm/protocol';
import { CONFIG_ENV } from '../../agent/src/config.js';
import { enroll } from '../../agent/src/enroll.js';
import { INVALID_INBOUND_KEY, type InvalidCounts } from '../../agent/src/link/index.js';
import { type Identity, Store } from '../../agent/src/store/index.js';
import { buildApp } from '../../hub/src/app.js';
import { loadConfig } from '../../hub/src/config.js';
import type { TestHub, TestUser } from '../../hub/test/helpers/hub.js';
import type { TestAgent } from '../../hub/test/helpers/mqtt.js';

/**
 * Support for tests that run `drm-agent run` as a real process against an in-process hub:
 * enrollment through the API over HTTP, spawning and killing the agent, reading its data
 * folder beside it, and restarting the hub on the same MQTT port and database.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const dirs: string[] = [];

export function removeDataDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The hub's HTTP API on a loopback port (enrollment is a real HTTP call). */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/**
 * A tenant with an admin and a site, and an agent enrolled into it by `enroll()`, the code
 * behind `drm-agent enroll`, with a token made through the API. Returns what other helpers
 * call a `TestAgent`, and the agent's data folder.
 */
export async function enrolledAgent(
  hub: TestHub,
  hubUrl: string,
): Promise<{ agent: TestAgent; dataDir: string; identity: Identity }> {
  const tenantId = await hub.tenant(`Fault tenant ${Date.now()}`);
  const admin: TestUser = await hub.user({ [tenantId]: 'admin' });
  const base = `/api/v1/tenants/${tenantId}`;
  const site = await hub.call(admin.token, 'POST', `${base}/sites`, { name: 'Plant' });
  if (site.statusCode !== 201) throw new Error(`site: ${site.statusCode} ${site.body}`);
  const siteId = site.json().id as string;
  const tok = await hub.call(admin.token, 'POST', `${base}/enrollment-tokens`, { siteId, ttlMinutes: 30 });
  if (tok.statusCode !== 201) throw new Error(`token: ${tok.statusCode} ${tok.body}`);
  const dataDir = join(mkdtempSync(join(tmpdir(), 'drm-agent-fault-')), 'data');
  dirs.push(join(dataDir, '..'));
  const { identity } = await enroll({
    hubUrl,
    token: EnrollmentTokenCreated.parse(tok.json()).token,
    name: 'edge-fault',
    dataDir,
    force: false,
    version: '0.0.0-test',
    log,
  });
  const agent: TestAgent = {
    tenantId,
    agentId: identity.agentId,
    siteId,
    username: identity.mqtt.username,
    password: identity.mqtt.password,
    admin,
    base,
  };
  return { agent, dataDir, identity };
}

export interface AgentProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its pino log lines so far, parsed. */
  logs(): { level: number; msg: string; [key: string]: unknown }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `drm-agent run` from the sources, as an operator would run it, with quick
 * heartbeats and reconnects so a test does not wait on production intervals.
 */
export function spawnAgent(dataDir: string, extra: string[] = []): AgentProcess {
  const env = { ...process.env };
  for (const key of CONFIG_ENV) delete env[key];
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      'agent/src/cli.ts',
      'run',
      '--data-dir',
      dataDir,
      '--trap-port',
      '0',
      '--trap-host',
      '127.0.0.1',
      '--log-level',
      'info',
      '--heartbeat-seconds',
      '2',
      '--reconnect-max-seconds',
      '1',
      ...extra,
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => text,
    logs: () =>
      text.split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line)];
        } catch {
          return [];
        }
      }),
    exited,
  };
}

/** Sends `signal` and waits for the process to end (SIGKILL after `ms` as a last resort). */
export async function stopProcess(p: AgentProcess, signal: NodeJS.Signals = 'SIGTERM', ms = 20_000) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the agent's store beside the running process (WAL lets a reader in). */
export function readStore<T>(dataDir: string, fn: (store: Store) => T): T {
  const store = Store.openReadOnly(dataDir);
  if (!store) throw new Error(`no store in ${dataDir}`);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** The invalid inbound messages the agent has counted, as recorded in its store. */
export function invalidCounts(dataDir: string): InvalidCounts | null {
  const raw = readStore(dataDir, (s) => s.meta.get(INVALID_INBOUND_KEY));
  return raw === null ? null : (JSON.parse(raw) as InvalidCounts);
}

/**
 * A new hub app on the same database, the same device-credential key and the same MQTT port
 * as `previous` (which must be closed first): a hub restart as the agents see it.
 */
export async function restartHub(
  db: TestHub['db'],
  secrets: FastifyInstance['secrets'],
  mqttPort: number,
): Promise<FastifyInstance> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: '/nonexistent-test-data',
    MQTT_PORT: String(mqttPort),
    HOST: '127.0.0.1',
  });
  const app = await buildApp({ config, db, logger: log, secrets });
  await app.ready();
  return app;
}

/** Polls `probe` until it returns something other than undefined, or throws naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
