import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CONFIG_ENV } from '../src/config.js';
import type { StatusReport } from '../src/status.js';
import { type Identity, Store } from '../src/store/index.js';
import { INVALID_INBOUND_KEY } from '../src/link/index.js';
import { cleanupDirs, dispatch, result, sample, tempDir, trapEvent } from './store/fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `drm-agent` from source as in development, without any DRM_AGENT_* variable of ours. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  for (const key of CONFIG_ENV) delete base[key];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'agent/src/cli.ts', ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

afterEach(cleanupDirs);

const IDENTITY: Identity = {
  agentId: '0190a000-0000-7000-8000-0000000000a1',
  tenantId: '0190a000-0000-7000-8000-0000000000a2',
  siteId: '0190a000-0000-7000-8000-0000000000a3',
  name: 'edge-1',
  hubUrl: 'https://hub.example.net',
  mqtt: { url: 'mqtts://hub.example.net:8883', username: 'agent-a1', password: 'agent_s3cret' },
  enrolledAt: '2025-03-01T12:00:00.000Z',
};

describe('drm-agent usage', () => {
  it('lists only the commands that exist', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: drm-agent <command>');
    expect(help.stdout).toMatch(/^ {2}enroll --hub URL --token TOKEN/m);
    expect(help.stdout).toMatch(/^ {2}status \[--json\]/m);
    expect(help.stdout).toMatch(/^ {2}run {2,}connect to the hub/m);
    expect(help.stdout).toMatch(/^ {2}--heartbeat-seconds N/m);
    const version = await cli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [[], /a command is required \(enroll, run, status\)/],
    [['start'], /unknown command 'start'/],
    [['run', '--json'], /--json does not apply to run/],
    [['status', '--trap-port', '1'], /--trap-port does not apply to status/],
    [['enroll', '--token', 't'], /enroll needs --hub URL/],
    [['enroll', '--hub', 'http://127.0.0.1:9'], /enroll needs --token TOKEN/],
    [['enroll', '--hub', 'ftp://hub', '--token', 't'], /--hub: must be an http:\/\/ or https:\/\/ URL/],
    [['status', '--force'], /--force does not apply to status/],
    [['status', 'now'], /unexpected argument 'now' for status/],
    [['status', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses bad usage with exit code 2: %j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('see drm-agent --help');
  });

  it('refuses bad configuration with exit code 2, naming the variable', async () => {
    const run = await cli(['status', '--data-dir', tempDir()], { DRM_AGENT_OUTBOX_MAX_MB: 'lots' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("DRM_AGENT_OUTBOX_MAX_MB: must be a whole number (got 'lots')");
  });
});

describe('drm-agent status', () => {
  it('says a folder without a store is not enrolled, and creates nothing', async () => {
    const dir = join(tempDir(), 'nothing-here');
    const text = await cli(['status', '--data-dir', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Data folder  ${dir}`);
    expect(text.stdout).toMatch(/Agent\s+not enrolled \(drm-agent enroll --hub URL --token TOKEN/);

    const json = await cli(['status', '--json'], { DRM_AGENT_DATA_DIR: dir });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report).toMatchObject({
      dataDir: dir,
      hasStore: false,
      enrolled: false,
      identity: null,
      jobs: { queued: 0, running: 0 },
      outbox: { count: 0, dropped: 0, oldestAgeSeconds: null },
      desiredState: { revision: -1 },
      traps: { count: 0, bytes: 0, dropped: 0, oldestAgeSeconds: null },
      invalidInbound: { total: 0 },
    });
  });

  it('reports what a populated folder holds, without either MQTT password, beside a running writer', async () => {
    const dir = join(tempDir(), 'data');
    const t0 = Date.now() - 90_000;
    const store = Store.open(dir, { now: () => t0, outboxMaxBytes: 10 * 1024 * 1024 });
    store.identity.set(IDENTITY);
    store.meta.recordContact(new Date(t0));
    store.meta.setLink('disconnected', new Date(t0));
    const d = dispatch({ targets: 3 });
    store.inbox.put(d);
    store.inbox.markRunning(d.jobId, d.targets[0]!.deviceId);
    store.outbox.appendMany([sample(), sample(), result(d.jobId, d.targets[1]!.deviceId)]);
    // A rotated password: the enrolled one is now the previous one; neither may show.
    const rotated = 'agent_r0tated-s3cret-0001';
    store.desired.put({
      revision: 4,
      devices: [],
      schedules: [],
      credentials: { rotationId: '0190a000-0000-7000-8000-0000000000c1', mqttPassword: rotated },
    });
    store.events.append(trapEvent({ receivedAt: new Date(t0 - 30_000).toISOString() }));
    store.events.append(trapEvent());
    store.meta.set(
      INVALID_INBOUND_KEY,
      JSON.stringify({ total: 3, byChannel: { jobs: 2, config: 1 }, byReason: { schema: 2, malformed: 1 } }),
    );
    try {
      // The store stays open for writing here, as a running agent holds it.
      const json = await cli(['status', '--json', '--data-dir', dir], { DRM_AGENT_OUTBOX_MAX_MB: '10' });
      expect(json.code).toBe(0);
      expect(json.stdout).not.toContain(IDENTITY.mqtt.password);
      expect(json.stdout).not.toContain(rotated);
      const report = JSON.parse(json.stdout) as StatusReport;
      expect(report).toMatchObject({
        hasStore: true,
        enrolled: true,
        identity: { agentId: IDENTITY.agentId, name: 'edge-1', mqtt: { username: 'agent-a1' } },
        link: { state: 'disconnected', lastContactAt: new Date(t0).toISOString() },
        jobs: { queued: 2, running: 1, done: 0, cancelled: 0 },
        outbox: { count: 3, results: 1, samples: 2, dropped: 0, maxBytes: 10 * 1024 * 1024 },
        desiredState: { revision: 4, devices: 0, schedules: 0 },
        traps: { count: 2, dropped: 0 },
        invalidInbound: { total: 3, byReason: { schema: 2, malformed: 1 } },
        quarantined: 0,
      });
      expect(report.traps.oldestAgeSeconds).toBeGreaterThanOrEqual(120);
      expect(report.outbox.oldestAgeSeconds).toBeGreaterThanOrEqual(90);

      const text = await cli(['status', '--data-dir', dir]);
      expect(text.code).toBe(0);
      expect(text.stdout).not.toContain(IDENTITY.mqtt.password);
      expect(text.stdout).not.toContain(rotated);
      expect(text.stdout).toMatch(/Agent\s+edge-1 \(0190a000-0000-7000-8000-0000000000a1\)/);
      expect(text.stdout).toMatch(/Hub link\s+disconnected since .*; last contact .* \(1m \d+s ago\)/);
      expect(text.stdout).toMatch(/Jobs\s+2 queued, 1 running/);
      expect(text.stdout).toMatch(
        /Outbox\s+3 items \(1 result, 2 samples\), .* of 256 MiB; oldest 1m \d+s old/,
      );
      expect(text.stdout).toMatch(/Dropped\s+0 samples/);
      expect(text.stdout).toMatch(/Desired state\s+revision 4: 0 devices, 0 schedules/);
      expect(text.stdout).toMatch(
        /Traps\s+2 events \(\d+(?:\.\d+)? (?:B|KiB)\) waiting for the hub; oldest 2m \d+s old; 0 events dropped when the queue was full/,
      );
      expect(text.stdout).toMatch(
        /Invalid from hub\s+3 messages dropped since the agent started \(schema 2, malformed 1\)/,
      );
    } finally {
      store.close();
    }
  });
});

describe('drm-agent enroll without a hub', () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  /** A local HTTP server that answers every request with `status` and `body`. */
  async function fakeHub(status: number, body: string, type = 'application/json'): Promise<string> {
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': type }).end(body);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A loopback port with nothing listening on it. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it('says when the hub cannot be reached', async () => {
    const hub = `http://127.0.0.1:${await closedPort()}`;
    const run = await cli(['enroll', '--hub', hub, '--token', 't', '--data-dir', join(tempDir(), 'd')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`cannot reach the hub at ${hub}: .*ECONNREFUSED`));
  });

  it("passes on the hub's own message when it refuses", async () => {
    const hub = await fakeHub(
      401,
      JSON.stringify({
        error: { code: 'ENROLLMENT_TOKEN_INVALID', message: 'Enrollment token has expired' },
      }),
    );
    const run = await cli(['enroll', '--hub', hub, '--token', 't', '--data-dir', join(tempDir(), 'd')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'the hub refused the enrollment: Enrollment token has expired (HTTP 401 ENROLLMENT_TOKEN_INVALID)',
    );
  });

  it('refuses an answer that is not an enrollment, or not from a hub', async () => {
    const garbage = await fakeHub(201, JSON.stringify({ agentId: 'x' }));
    const bad = await cli(['enroll', '--hub', garbage, '--token', 't', '--data-dir', join(tempDir(), 'd')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is not an enrollment/);

    const proxy = await fakeHub(502, '<html>Bad Gateway</html>', 'text/html');
    const html = await cli(['enroll', '--hub', proxy, '--token', 't', '--data-dir', join(tempDir(), 'd')]);
    expect(html.code).toBe(1);
    expect(html.stderr).toMatch(
      /the hub answered HTTP 502 Bad Gateway .*; is http:\/\/127\.0\.0\.1:\d+ the hub's address\?/,
    );
  });

  it('refuses an enrolled folder before spending the token, and a folder in use', async () => {
    const dir = join(tempDir(), 'data');
    const store = Store.open(dir);
    store.identity.set(IDENTITY);
    const busy = await cli(['enroll', '--hub', 'http://127.0.0.1:9', '--token', 't', '--data-dir', dir]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`another drm-agent process is using ${dir}`);
    store.close();

    // An unreachable hub: the refusal must come before any request.
    const run = await cli(['enroll', '--hub', 'http://127.0.0.1:9', '--token', 't', '--data-dir', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${dir} is already enrolled as agent edge-1 (${IDENTITY.agentId})`);
    expect(run.stderr).toContain('add --force');
  });
});
