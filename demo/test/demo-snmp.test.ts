import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokenCreated, Agent as AgentDto, Job, LoginResponse } from '@drm/protocol';
import { DEMO_EMAIL, DEMO_IDS, DEMO_PASSWORD_FILE, seedDemo } from '../../hub/src/seed/demo.js';
import type { RunningHub } from '../../hub/src/server.js';
import { createTestHub, type TestHub } from '../../hub/test/helpers/hub.js';
import { main, SYS_DESCR_OID } from '../src/demo-snmp/main.js';
import { type LocalAgent, startLocalAgent } from '../src/local-agent.js';
import { type SimulatedDevice, startSimulatedDevice } from '../src/simulated-device.js';

/**
 * `npm run demo:snmp` against a real hub (HTTP on a loopback port, embedded broker), the demo
 * data, the simulated switch and the demo's local agent: the job goes through the REST API,
 * out to the agent over MQTT, to the switch over SNMP, and the command prints what it answered.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SIM_SYS_DESCR = 'DRM demo switch 2.1 (simulated, 4 ports)';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let hub: TestHub;
let url: string;
let dataDir: string;
let password: string;
let device: SimulatedDevice;
let agent: LocalAgent;
let adminToken: string;

/** The environment of a person at the terminal, without this machine's settings for the command. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  for (const name of ['HUB_URL', 'PORT', 'DRM_API_TOKEN', 'DRM_DEMO_PASSWORD', 'DATA_DIR']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

/** The command in this process, through its exported `main`. */
async function run(argv: string[], env: Record<string, string> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, cleanEnv(env), { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The command as `npm run demo:snmp` starts it. */
async function spawnCommand(argv: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'demo/src/demo-snmp.ts', ...argv],
    { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code: code ?? -1, out, err };
}

async function api<T>(
  method: 'GET' | 'POST',
  path: string,
  schema: { parse(x: unknown): T },
  body?: unknown,
) {
  const res = await hub.call(adminToken, method, path, body);
  expect(res.statusCode, res.body).toBeLessThan(300);
  return schema.parse(res.json());
}

const customer = `/api/v1/tenants/${DEMO_IDS.customer}`;
const jobIdIn = (text: string) => /^ {2}Job {9}([0-9a-f-]{36})$/m.exec(text)?.[1];

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'drm-demo-snmp-'));
  hub = await createTestHub();
  // The demo data with a generated password in DATA_DIR, as the first `npm start` makes it.
  await seedDemo(hub.db, hub.app.secrets, { dataDir, log });
  password = readFileSync(join(dataDir, DEMO_PASSWORD_FILE), 'utf8').trim();
  await hub.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
  const running: RunningHub = {
    app: hub.app,
    db: hub.db,
    url,
    mqttPort: hub.app.mqtt.port,
    demo: null,
    close: () => hub.close(),
  };
  device = await startSimulatedDevice();
  agent = await startLocalAgent(running, device, { dataDir, log });
  const login = await hub.call(null, 'POST', '/api/v1/auth/login', { email: DEMO_EMAIL, password });
  adminToken = LoginResponse.parse(login.json()).token;
  await until('the demo agent online', async () => {
    const a = await api('GET', `${customer}/agents/${agent.agentId}`, AgentDto);
    return a.state === 'online' ? a : undefined;
  });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await device?.close();
  // The command's HTTP client may leave a spare keep-alive connection that never carried a
  // request; the server's close waits for such a one until the client's idle timeout (4 s).
  hub?.app.server.closeAllConnections();
  await hub?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run demo:snmp', () => {
  it('queues sysDescr on the demo device through the hub, follows it and prints the answer', async () => {
    const r = await spawnCommand(['--hub', url], { DATA_DIR: dataDir });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const jobId = jobIdIn(r.out);
    expect(jobId).toBeDefined();
    expect(r.out).toContain(`${url}/t/${DEMO_IDS.customer}/jobs/${jobId}`);
    expect(r.out).toContain(
      `curl -N -H "Authorization: Bearer $TOKEN" ${url}${customer}/jobs/${jobId}/events`,
    );
    expect(r.out).toContain(`curl -s -H "Authorization: Bearer $TOKEN" ${url}${customer}/jobs/${jobId}\n`);
    expect(r.out).toMatch(/^ +[\d.]+ s {2}succeeded +1\/1$/m);
    expect(r.out).toContain(`SNMPv2-MIB::sysDescr.0 = ${SIM_SYS_DESCR}`);
    expect(r.out).not.toContain(password);

    const job = await api('GET', `${customer}/jobs/${jobId}`, Job);
    expect(job).toMatchObject({ kind: 'snmp.get', status: 'succeeded', createdBy: DEMO_IDS.admin });
    expect(job.params).toMatchObject({ oids: [SYS_DESCR_OID] });
    expect(job.targets?.map((t) => [t.deviceId, t.agentId])).toEqual([[DEMO_IDS.device, agent.agentId]]);
  });

  it('with --no-wait prints the job and how to watch it, and exits at once', async () => {
    const started = Date.now();
    const r = await run(['--hub', url, '--no-wait'], { DRM_DEMO_PASSWORD: password });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    const jobId = jobIdIn(r.out);
    expect(jobId).toBeDefined();
    expect(r.out).not.toContain('Following');
    // The login in the printed commands reads the password from where the command found it.
    expect(r.out).toContain('\\"password\\":\\"$DRM_DEMO_PASSWORD\\"');
    expect(r.out).not.toContain(password);
    const job = await api('GET', `${customer}/jobs/${jobId}`, Job);
    expect(job.kind).toBe('snmp.get');
  });

  it('uses an API token from DRM_API_TOKEN, and leaves it valid', async () => {
    const made = await api('POST', '/api/v1/auth/tokens', ApiTokenCreated, { name: 'demo-snmp test' });
    const r = await run(['--hub', url, '--device', DEMO_IDS.device], { DRM_API_TOKEN: made.token });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`= ${SIM_SYS_DESCR}`);
    expect(r.out).toContain('-H "Authorization: Bearer $DRM_API_TOKEN"');
    expect(r.out).not.toContain(made.token);
    expect((await hub.call(made.token, 'GET', '/api/v1/auth/me')).statusCode).toBe(200);
  });

  it('says where the password is looked up when the hub refuses the login', async () => {
    const wrong = 'not-the-demo-password-42';
    const r = await run(['--hub', url, '--password', wrong], { DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`refused the login of ${DEMO_EMAIL}`);
    expect(r.err).toContain('the password came from --password');
    expect(r.err).toContain(`DRM_DEMO_PASSWORD, then ${join(dataDir, DEMO_PASSWORD_FILE)}`);
    expect(r.err).not.toContain(wrong);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('names an unreachable hub and how to start it, also without a password at hand', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const emptyDir = mkdtempSync(join(tmpdir(), 'drm-demo-snmp-empty-'));
    try {
      for (const env of [{ DRM_DEMO_PASSWORD: password }, { DATA_DIR: emptyDir }] as Record<
        string,
        string
      >[]) {
        const r = await run([], { ...env, PORT: String(port) });
        expect(r.code).toBe(1);
        expect(r.err).toContain(`cannot reach the hub at http://localhost:${port} (`);
        expect(r.err).toContain('`npm start`');
      }
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  it('without the demo device, suggests npm run seed:demo', async () => {
    const r = await run(['--hub', url, '--tenant', DEMO_IDS.msp], { DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.err).toContain('the demo device localhost-snmp is not among the devices');
    expect(r.err).toContain('`npm run seed:demo`');
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--timeout', '0'], '--timeout'],
    [['--hub', 'ftp://hub.example'], '--hub'],
    [['--tenant', 'demo'], '--tenant'],
    [['--email', 'nobody'], '--email'],
    [['extra'], 'unexpected argument after the options (1 of them)'],
    [['--hub', 'http://admin:s3cret@127.0.0.1:1'], "the hub's address must not hold a user or password"],
  ])('exits 2 for bad usage: %j', async (argv, message) => {
    const r = await run(argv, { DRM_DEMO_PASSWORD: password });
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('(see --help)');
    expect(r.err).not.toContain('s3cret');
  });

  // Last: it stops the demo agent.
  it('times out saying that the device agent is offline', async () => {
    await agent.stop();
    await until('the demo agent offline', async () => {
      const a = await api('GET', `${customer}/agents/${agent.agentId}`, AgentDto);
      return a.state === 'offline' ? a : undefined;
    });
    // A fraction of a millisecond is rounded up, not refused by the timers after queueing.
    const r = await run(['--hub', url, '--timeout', '1.0005'], { DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(jobIdIn(r.out)).toBeDefined();
    expect(r.out).toMatch(/Agent {7}demo-agent \(.+\), offline: the job waits until it connects/);
    expect(r.err).toMatch(/did not finish within 1(\.\d+)? s: it is (queued|dispatched)/);
    expect(r.err).toContain(`the device's agent demo-agent (${agent.agentId}) is offline (last seen `);
  });
});
