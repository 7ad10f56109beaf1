import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, EnrollmentTokenCreated, pageOf } from '@drm/protocol';
import { CONFIG_ENV } from '../agent/src/config.js';
import { agentVersion } from '../agent/src/enroll.js';
import { DB_FILE, Store } from '../agent/src/store/index.js';
import { createTestHub, type TestHub, type TestUser } from '../hub/test/helpers/hub.js';

/**
 * `drm-agent enroll` end to end: the CLI as a separate process, against a real hub listening
 * on a loopback port (embedded PostgreSQL, real enrollment tokens made through the API).
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  const env = { ...process.env };
  for (const key of CONFIG_ENV) delete env[key];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'agent/src/cli.ts', ...args],
      { cwd: ROOT, env, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

let hub: TestHub;
let hubUrl: string;
let admin: TestUser;
let tenantId: string;
let siteId: string;
const dirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drm-agent-enroll-'));
  dirs.push(dir);
  return join(dir, 'data');
}

async function newToken(): Promise<EnrollmentTokenCreated> {
  const res = await hub.call(admin.token, 'POST', `/api/v1/tenants/${tenantId}/enrollment-tokens`, {
    siteId,
    ttlMinutes: 30,
  });
  expect(res.statusCode).toBe(201);
  return EnrollmentTokenCreated.parse(res.json());
}

function readIdentity(dir: string) {
  const store = Store.openReadOnly(dir);
  try {
    return store?.identity.get() ?? null;
  } finally {
    store?.close();
  }
}

beforeAll(async () => {
  hub = await createTestHub();
  await hub.app.listen({ port: 0, host: '127.0.0.1' });
  hubUrl = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
  tenantId = await hub.tenant('Enroll E2E customer');
  admin = await hub.user({ [tenantId]: 'admin' });
  const site = await hub.call(admin.token, 'POST', `/api/v1/tenants/${tenantId}/sites`, {
    name: 'Branch office',
  });
  expect(site.statusCode).toBe(201);
  siteId = (site.json() as { id: string }).id;
});

afterAll(async () => {
  await hub?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('drm-agent enroll against a real hub', () => {
  it('enrolls, stores the identity privately, and the hub lists the agent', async () => {
    const token = await newToken();
    const dir = dataDir();
    const run = await cli([
      'enroll',
      '--hub',
      hubUrl,
      '--token',
      token.token,
      '--name',
      'edge-e2e',
      '--data-dir',
      dir,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const identity = readIdentity(dir);
    expect(identity).toMatchObject({ tenantId, siteId, name: 'edge-e2e', hubUrl });
    expect(identity!.mqtt.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(identity!.mqtt.username).toBe(`agent-${identity!.agentId}`);
    expect(identity!.mqtt.password.length).toBeGreaterThan(20);
    expect(run.stdout).toContain(`Enrolled as agent edge-e2e (${identity!.agentId})`);
    expect(run.stdout).not.toContain(identity!.mqtt.password);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, DB_FILE)).mode & 0o777).toBe(0o600);

    const list = await hub.call(admin.token, 'GET', `/api/v1/tenants/${tenantId}/agents`);
    expect(list.statusCode).toBe(200);
    const agents = pageOf(Agent).parse(list.json()).items;
    expect(agents.find((a) => a.id === identity!.agentId)).toMatchObject({
      siteId,
      name: 'edge-e2e',
      version: agentVersion(),
      state: 'never',
    });

    // The same token a second time: the hub's own words, exit code 1, nothing stored.
    const other = dataDir();
    const again = await cli(['enroll', '--hub', hubUrl, '--token', token.token, '--data-dir', other]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Enrollment token has already been used');
    expect(readIdentity(other)).toBeNull();

    // status reads it back without the hub.
    const status = await cli(['status', '--data-dir', dir, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      enrolled: true,
      identity: { agentId: identity!.agentId },
    });
  });

  it("reports an unknown, a revoked and an expired token in the hub's words", async () => {
    const unknown = await cli(['enroll', '--hub', hubUrl, '--token', 'enroll_nope', '--data-dir', dataDir()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Enrollment token is not valid');

    const revoked = await newToken();
    const del = await hub.call(
      admin.token,
      'DELETE',
      `/api/v1/tenants/${tenantId}/enrollment-tokens/${revoked.id}`,
    );
    expect(del.statusCode).toBeLessThan(300);
    const r = await cli(['enroll', '--hub', hubUrl, '--token', revoked.token, '--data-dir', dataDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Enrollment token has been revoked');

    const expired = await newToken();
    await hub.db.asOwner((q) =>
      q.query(`UPDATE enrollment_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
        expired.id,
      ]),
    );
    const e = await cli(['enroll', '--hub', hubUrl, '--token', expired.token, '--data-dir', dataDir()]);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('Enrollment token has expired');
  });

  it('re-enrolls an enrolled folder only with --force, as a new agent', async () => {
    const dir = dataDir();
    const first = await cli([
      'enroll',
      '--hub',
      `${hubUrl}/`,
      '--token',
      (await newToken()).token,
      '--data-dir',
      dir,
    ]);
    expect(first.code).toBe(0);
    const before = readIdentity(dir)!;
    expect(before.hubUrl).toBe(hubUrl); // trailing slash dropped

    const token = await newToken();
    const refused = await cli(['enroll', '--hub', hubUrl, '--token', token.token, '--data-dir', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is already enrolled');
    // The refusal came before the hub was asked: the token is still usable.
    const forced = await cli([
      'enroll',
      '--hub',
      hubUrl,
      '--token',
      token.token,
      '--data-dir',
      dir,
      '--force',
    ]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`Replaced agent ${before.name} (${before.agentId})`);
    const after = readIdentity(dir)!;
    expect(after.agentId).not.toBe(before.agentId);
  });
});
