import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigSync } from '@drm/protocol';
import { DEFAULT_COMMUNITY } from '../../src/modules/credentials/device-access.js';
import { type ConfigSyncService, createConfigSync } from '../../src/mqtt/config-sync.js';
import { createTestHub, type TestHub, type TestUser } from '../helpers/hub.js';
import { FakeMqttHub, SECRETS, silentLog, type TenantFixture, tenantFixture } from './ingest-support.js';

let hub: TestHub;
let mqtt: FakeMqttHub;
let sync: ConfigSyncService;

beforeAll(async () => {
  hub = await createTestHub();
  mqtt = new FakeMqttHub();
  sync = createConfigSync({ db: hub.db, mqtt, secrets: hub.app.secrets, log: silentLog });
});
afterAll(async () => {
  await hub?.close();
});

const fixture = () => tenantFixture(hub.db, hub.app.secrets, (name) => hub.tenant(name));

async function sql<R = Record<string, unknown>>(tenantId: string, text: string, params: unknown[] = []) {
  return hub.db.withTenant(tenantId, async (q) => (await q.query<R>(text, params)).rows);
}

async function schedule(
  f: TenantFixture,
  deviceIds: string[],
  over: { kind?: string; params?: object; enabled?: boolean; name?: string } = {},
): Promise<string> {
  const id = randomUUID();
  await sql(
    f.tenantId,
    `INSERT INTO schedules (tenant_id, id, name, kind, device_ids, params, interval_seconds, jitter_pct, enabled)
     VALUES ($1, $2, $3, $4, $5::uuid[], $6::jsonb, 300, 5, $7)`,
    [
      f.tenantId,
      id,
      over.name ?? `poll ${id.slice(0, 6)}`,
      over.kind ?? 'snmp.get',
      deviceIds,
      JSON.stringify(over.params ?? { oids: ['1.3.6.1.2.1.1.3.0'] }),
      over.enabled ?? true,
    ],
  );
  return id;
}

const revisionOf = async (f: TenantFixture, agentId: string) =>
  (
    await sql<{ r: number }>(f.tenantId, 'SELECT config_revision AS r FROM agents WHERE id = $1', [agentId])
  )[0]?.r;

const TIMING = { port: 1161, timeoutMs: 1500, retries: 2, maxRepetitions: 30 };
const byId = (a: { deviceId: string }, b: { deviceId: string }) => a.deviceId.localeCompare(b.deviceId);

describe('desired state', () => {
  it("holds the agent's devices with their SNMP access and the enabled schedules cut to them", async () => {
    const f = await fixture();
    await sql(f.tenantId, 'UPDATE agents SET config_revision = 5 WHERE id = $1', [f.agentA]);
    const gone = randomUUID();
    const mixed = await schedule(f, [f.snmpDev, f.otherDev, gone], { name: 'uptime' });
    await schedule(f, [f.snmpDev], { enabled: false });
    await schedule(f, [f.otherDev]);
    const walk = await schedule(f, [f.v3Dev, f.trDev], {
      kind: 'snmp.walk',
      params: { oid: '1.3.6.1.2.1.2.2' },
      name: 'interfaces',
    });

    const state = await sync.desiredState(f.tenantId, f.agentA);
    expect(state?.revision).toBe(5);
    expect(state?.devices).toEqual(
      [
        {
          deviceId: f.snmpDev,
          address: '192.0.2.1',
          snmp: { version: '2c', ...TIMING, community: SECRETS.community },
        },
        {
          deviceId: f.v3Dev,
          address: '192.0.2.2',
          snmp: {
            version: '3',
            ...TIMING,
            username: 'ops',
            securityLevel: 'authPriv',
            authProtocol: 'sha256',
            authKey: SECRETS.authKey,
            privProtocol: 'aes',
            privKey: SECRETS.privKey,
          },
        },
        // TR-181 passwords travel with jobs only.
        { deviceId: f.trDev, address: '192.0.2.3' },
      ].sort(byId),
    );
    expect(state?.schedules).toEqual([
      {
        id: mixed,
        name: 'uptime',
        kind: 'snmp.get',
        params: { oids: ['1.3.6.1.2.1.1.3.0'], targetBudgetMs: 30_000 },
        deviceIds: [f.snmpDev],
        intervalSeconds: 300,
        jitterPct: 5,
        enabled: true,
      },
      {
        id: walk,
        name: 'interfaces',
        kind: 'snmp.walk',
        params: { oid: '1.3.6.1.2.1.2.2', method: 'bulk', maxVarbinds: 100_000, targetBudgetMs: 30_000 },
        deviceIds: [f.v3Dev, f.trDev],
        intervalSeconds: 300,
        jitterPct: 5,
        enabled: true,
      },
    ]);
  });

  it('resolves a v2c profile without a credential to the default community', async () => {
    const f = await fixture();
    await sql(f.tenantId, `UPDATE devices SET snmp = '{"version":"2c","port":161}' WHERE id = $1`, [
      f.snmpDev,
    ]);
    const state = await sync.desiredState(f.tenantId, f.agentA);
    expect(state?.devices.find((d) => d.deviceId === f.snmpDev)?.snmp).toEqual({
      version: '2c',
      port: 161,
      community: DEFAULT_COMMUNITY,
    });
  });

  it('keeps a device whose credential does not decrypt, without access material', async () => {
    const f = await fixture();
    await sql(f.tenantId, 'UPDATE credentials SET secret = $2 WHERE id = $1', [f.v3, Buffer.alloc(40, 1)]);
    const state = await sync.desiredState(f.tenantId, f.agentA);
    expect(state?.devices.find((d) => d.deviceId === f.v3Dev)).toEqual({
      deviceId: f.v3Dev,
      address: '192.0.2.2',
    });
  });

  it("is null for an unknown agent and for another tenant's agent", async () => {
    const f = await fixture();
    const g = await fixture();
    expect(await sync.desiredState(f.tenantId, randomUUID())).toBeNull();
    expect(await sync.desiredState(f.tenantId, g.agentA)).toBeNull();
  });

  it('is null for a revoked agent, which is pushed nothing, its devices’ secrets included', async () => {
    const f = await fixture();
    await sql(f.tenantId, 'UPDATE agents SET revoked_at = now() WHERE id = $1', [f.agentB]);
    expect(await sync.desiredState(f.tenantId, f.agentB)).toBeNull();
    mqtt.clear();
    await sync.bump(f.tenantId, [f.agentA, f.agentB]);
    await sync.onAgentConnected({ tenantId: f.tenantId, agentId: f.agentB });
    expect(mqtt.published.map((p) => p.agentId)).toEqual([f.agentA]);
  });
});

describe('bump and push', () => {
  it("increments each agent's revision and pushes its own state", async () => {
    const f = await fixture();
    await schedule(f, [f.snmpDev, f.otherDev]);
    mqtt.clear();
    await sync.bump(f.tenantId, [f.agentB, f.agentA, f.agentA]);
    expect(await revisionOf(f, f.agentA)).toBe(1);
    expect(await revisionOf(f, f.agentB)).toBe(1);
    expect(mqtt.published.map((p) => [p.agentId, p.channel])).toEqual(
      [f.agentA, f.agentB].sort().map((a) => [a, 'config']),
    );
    const forB = mqtt.sent('config', f.agentB)[0] as ConfigSync;
    expect(forB.revision).toBe(1);
    expect(forB.devices.map((d) => d.deviceId)).toEqual([f.otherDev]);
    expect(forB.schedules.map((s) => s.deviceIds)).toEqual([[f.otherDev]]);
  });

  it('pushes the current state whenever an agent connects', async () => {
    const f = await fixture();
    await sql(f.tenantId, 'UPDATE agents SET config_revision = 9, acked_config_revision = 9 WHERE id = $1', [
      f.agentA,
    ]);
    mqtt.clear();
    await sync.onAgentConnected({ tenantId: f.tenantId, agentId: f.agentA });
    expect(mqtt.sent('config', f.agentA).map((c) => c.revision)).toEqual([9]);
  });

  it('serves pushes asked for while one runs with one more push, of the latest state', async () => {
    const f = await fixture();
    mqtt.clear();
    await sql(f.tenantId, 'UPDATE agents SET config_revision = 7 WHERE id = $1', [f.agentA]);
    await Promise.all(Array.from({ length: 6 }, () => sync.push(f.tenantId, [f.agentA])));
    const revisions = mqtt.sent('config', f.agentA).map((c) => c.revision);
    expect(revisions).toHaveLength(2);
    expect(revisions.at(-1)).toBe(7);
    // Once idle, a push goes out at once again.
    await sync.push(f.tenantId, [f.agentA]);
    expect(mqtt.sent('config', f.agentA)).toHaveLength(3);
  });

  it('logs and goes on when a publish fails', async () => {
    const f = await fixture();
    mqtt.clear();
    mqtt.failWhen = (p) => p.agentId === f.agentA;
    try {
      await sync.push(f.tenantId, [f.agentA, f.agentB]);
    } finally {
      mqtt.failWhen = null;
    }
    expect(mqtt.published.map((p) => p.agentId)).toEqual([f.agentB]);
  });
});

describe('writes bump the revisions of the agents they reach', () => {
  let f: TenantFixture;
  let op: TestUser;
  const calls: string[][] = [];
  beforeAll(async () => {
    f = await fixture();
    op = await hub.user({ [f.tenantId]: 'operator' });
    hub.app.configChanged = (_tenantId, agentIds) => {
      calls.push([...agentIds]);
    };
  });
  afterEach(() => {
    calls.length = 0;
  });
  afterAll(() => {
    hub.app.configChanged = undefined;
  });

  const base = () => `/api/v1/tenants/${f.tenantId}`;
  const revisions = async () => [await revisionOf(f, f.agentA), await revisionOf(f, f.agentB)];
  async function call(method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: object, status = 200) {
    const res = await hub.call(op.token, method, `${base()}${url}`, body);
    expect(res.statusCode, res.body).toBe(status);
    await new Promise((resolve) => setImmediate(resolve));
    return res.body ? res.json() : null;
  }

  it('devices: create, move between agents, unrelated edits, delete', async () => {
    const start = await revisions();
    const created = await call(
      'POST',
      '/devices',
      { siteId: f.siteId, agentId: f.agentA, name: 'new-switch', address: '192.0.2.50' },
      201,
    );
    expect(await revisions()).toEqual([start[0]! + 1, start[1]]);
    expect(calls).toEqual([[f.agentA]]);

    await call('PATCH', `/devices/${created.id}`, { name: 'renamed', tags: ['core'] });
    expect(await revisions()).toEqual([start[0]! + 1, start[1]]);
    expect(calls).toEqual([[f.agentA]]);

    await call('PATCH', `/devices/${created.id}`, { agentId: f.agentB });
    expect(await revisions()).toEqual([start[0]! + 2, start[1]! + 1]);
    expect(calls.at(-1)).toEqual([f.agentA, f.agentB].sort());

    await call('DELETE', `/devices/${created.id}`, undefined, 204);
    expect(await revisions()).toEqual([start[0]! + 2, start[1]! + 2]);
    expect(calls.at(-1)).toEqual([f.agentB]);
  });

  it('schedules: create, update (old and new devices), delete', async () => {
    const start = await revisions();
    const created = await call(
      'POST',
      '/schedules',
      {
        name: 'sysUpTime',
        kind: 'snmp.get',
        params: { oids: ['1.3.6.1.2.1.1.3.0'] },
        deviceIds: [f.snmpDev, f.otherDev],
        intervalSeconds: 60,
      },
      201,
    );
    expect(await revisions()).toEqual([start[0]! + 1, start[1]! + 1]);
    await call('PATCH', `/schedules/${created.id}`, { deviceIds: [f.snmpDev] });
    expect(await revisions()).toEqual([start[0]! + 2, start[1]! + 2]);
    await call('DELETE', `/schedules/${created.id}`, undefined, 204);
    expect(await revisions()).toEqual([start[0]! + 3, start[1]! + 2]);
    expect(calls).toEqual([[f.agentA, f.agentB].sort(), [f.agentA, f.agentB].sort(), [f.agentA]]);
  });

  it('credentials: a rotated secret reaches the agents of the devices using it', async () => {
    const start = await revisions();
    await call('PATCH', `/credentials/${f.cwmp}`, { kind: 'cwmp', password: 'rotated-pass' });
    expect(await revisions()).toEqual([start[0]! + 1, start[1]]);
    await call('PATCH', `/credentials/${f.community}`, { kind: 'snmp-community', community: 'rotated' });
    expect(await revisions()).toEqual([start[0]! + 2, start[1]! + 1]);
    expect(calls).toEqual([[f.agentA], [f.agentA, f.agentB].sort()]);
  });

  it('pushes the new revision with the rotated secret when the hook is the config sync', async () => {
    hub.app.configChanged = (tenantId, agentIds) => sync.push(tenantId, agentIds);
    mqtt.clear();
    await call('PATCH', `/credentials/${f.community}`, {
      kind: 'snmp-community',
      community: 'rotated-again',
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pushed = mqtt.sent('config', f.agentB);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]?.revision).toBe(await revisionOf(f, f.agentB));
    expect(pushed[0]?.devices[0]?.snmp).toMatchObject({ community: 'rotated-again' });
  });
});
