import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, MAX_MESSAGE_BYTES, messageFor } from '@drm/protocol';
import { sealSecret } from '../../src/modules/credentials/secret.js';
import {
  createMqttJobDispatcher,
  expireOverdueJobs,
  settleStrandedJobs,
  type MqttJobDispatcher,
} from '../../src/mqtt/dispatcher.js';
import { registerIngestion } from '../../src/mqtt/ingest.js';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import {
  FakeMqttHub,
  jobOf,
  queueJob,
  SECRETS,
  silentLog,
  type TenantFixture,
  targetsOf,
  tenantFixture,
} from './ingest-support.js';

let hub: TestHub;
let mqtt: FakeMqttHub;
let dispatcher: MqttJobDispatcher;

beforeAll(async () => {
  hub = await createTestHub();
  mqtt = new FakeMqttHub();
  dispatcher = createMqttJobDispatcher({ db: hub.db, mqtt, secrets: hub.app.secrets, log: silentLog });
  registerIngestion(mqtt, { db: hub.db, log: silentLog });
});
afterAll(async () => {
  await hub?.close();
});

const fixture = () => tenantFixture(hub.db, hub.app.secrets, (name) => hub.tenant(name));

async function sql<R = Record<string, unknown>>(tenantId: string, text: string, params: unknown[] = []) {
  return hub.db.withTenant(tenantId, async (q) => (await q.query<R>(text, params)).rows);
}

const TIMING = { port: 1161, timeoutMs: 1500, retries: 2, maxRepetitions: 30 };

function v3Access(deviceId: string, address: string) {
  return {
    deviceId,
    address,
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
  };
}

/** `n` devices of agent A with SNMPv3 access of long keys: a job over 1,000 of them is split. */
async function bulkDevices(f: TenantFixture, n: number): Promise<string[]> {
  const credentialId = randomUUID();
  await sql(
    f.tenantId,
    `INSERT INTO credentials (tenant_id, id, name, kind, version, username, security_level, auth_protocol,
                                priv_protocol, secret, key_id)
       VALUES ($1, $2, 'long keys', 'snmp-v3', '3', 'operator-account', 'authPriv', 'sha512', 'aes256r', $3, 'test')`,
    [
      f.tenantId,
      credentialId,
      sealSecret(hub.app.secrets, f.tenantId, credentialId, {
        authKey: 'a'.repeat(64),
        privKey: 'p'.repeat(64),
      }),
    ],
  );
  const devices = await sql<{ id: string }>(
    f.tenantId,
    `INSERT INTO devices (tenant_id, id, site_id, agent_id, name, address, snmp)
       SELECT $1, gen_random_uuid(), $2, $3, 'bulk-' || i, '10.0.' || (i / 250) || '.' || (i % 250 + 1),
              jsonb_build_object('version', '3', 'port', 161, 'credentialId', $4::text)
         FROM generate_series(1, $5::int) AS i
       RETURNING id`,
    [f.tenantId, f.siteId, f.agentA, credentialId, n],
  );
  return devices.map((d) => d.id);
}

/** A job over 1,000 such devices of a new tenant, dispatched: the hub splits it. */
async function dispatchSplitJob(): Promise<{ f: TenantFixture; devices: string[]; jobId: string }> {
  const f = await fixture();
  mqtt.clear();
  const devices = await bulkDevices(f, 1000);
  const jobId = await queueJob(hub.db, f.tenantId, devices);
  await dispatcher.dispatch(f.tenantId, jobId);
  return { f, devices, jobId };
}

describe('dispatch', () => {
  it('sends each agent its targets with decrypted access material and marks them dispatched', async () => {
    const f = await fixture();
    mqtt.clear();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev, f.otherDev, f.loneDev]);
    await dispatcher.dispatch(f.tenantId, jobId);

    const [job] = await sql<{ createdAt: Date; expiresAt: Date }>(
      f.tenantId,
      'SELECT created_at AS "createdAt", expires_at AS "expiresAt" FROM jobs WHERE id = $1',
      [jobId],
    );
    const common = {
      jobId,
      tenantId: f.tenantId,
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.1.0'], targetBudgetMs: 30_000 },
      deadline: job!.expiresAt.toISOString(),
      createdAt: job!.createdAt.toISOString(),
    };
    const community = { version: '2c', ...TIMING, community: SECRETS.community };
    expect(mqtt.sent('jobs', f.agentA)).toEqual([
      {
        ...common,
        targets: expect.arrayContaining([
          { deviceId: f.snmpDev, address: '192.0.2.1', snmp: community },
          v3Access(f.v3Dev, '192.0.2.2'),
        ]),
      },
    ]);
    expect(mqtt.sent('jobs', f.agentA)[0]?.targets).toHaveLength(2);
    expect(mqtt.sent('jobs', f.agentB)).toEqual([
      { ...common, targets: [{ deviceId: f.otherDev, address: '192.0.2.4', snmp: community }] },
    ]);

    const targets = await targetsOf(hub.db, f.tenantId, jobId);
    for (const [deviceId, agentId] of [
      [f.snmpDev, f.agentA],
      [f.v3Dev, f.agentA],
      [f.otherDev, f.agentB],
    ] as const) {
      expect(targets.get(deviceId)).toMatchObject({
        status: 'dispatched',
        attempts: 1,
        agentId,
        error: null,
      });
      expect(targets.get(deviceId)?.dispatchedAt).toBeInstanceOf(Date);
    }
    expect(targets.get(f.loneDev)).toMatchObject({
      status: 'queued',
      attempts: 0,
      agentId: null,
      error: { code: 'no-agent' },
    });
    expect((await jobOf(hub.db, f.tenantId, jobId)).status).toBe('dispatched');
  });

  it.each([
    {
      name: 'a v3 credential from the job',
      params: (f: TenantFixture) => ({ credentialId: f.v3 }),
      snmp: (f: TenantFixture) => v3Access(f.snmpDev, '192.0.2.1').snmp,
    },
    {
      name: 'a version from the job',
      params: () => ({ version: '1' }),
      snmp: () => ({ version: '1', ...TIMING, community: SECRETS.community }),
    },
  ])('applies $name over the device profile', async ({ params, snmp }) => {
    const f = await fixture();
    mqtt.clear();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev], {
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.3.0'], ...params(f) },
    });
    await dispatcher.dispatch(f.tenantId, jobId);
    expect(mqtt.sent('jobs', f.agentA).map((d) => d.targets)).toEqual([
      [{ deviceId: f.snmpDev, address: '192.0.2.1', snmp: snmp(f) }],
    ]);
  });

  it('sends nothing to a revoked agent: its devices wait as devices without an agent', async () => {
    const f = await fixture();
    await sql(f.tenantId, 'UPDATE agents SET revoked_at = now() WHERE id = $1', [f.agentB]);
    mqtt.clear();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.otherDev]);
    await dispatcher.dispatch(f.tenantId, jobId);
    expect(mqtt.sent('jobs', f.agentB)).toEqual([]);
    expect(mqtt.sent('jobs', f.agentA).map((d) => d.targets.map((t) => t.deviceId))).toEqual([[f.snmpDev]]);
    const targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect(targets.get(f.otherDev)).toMatchObject({
      status: 'queued',
      attempts: 0,
      error: { code: 'no-agent' },
    });
    // Moved to a live agent, the device's target goes there on the next dispatch.
    await sql(f.tenantId, 'UPDATE devices SET agent_id = $1 WHERE id = $2', [f.agentA, f.otherDev]);
    await dispatcher.dispatch(f.tenantId, jobId);
    expect(mqtt.sent('jobs', f.agentA).flatMap((d) => d.targets.map((t) => t.deviceId))).toEqual([
      f.snmpDev,
      f.otherDev,
    ]);
    expect(mqtt.sent('jobs', f.agentB)).toEqual([]);
  });

  it('sends TR-181 jobs with the CWMP login and no SNMP material', async () => {
    const f = await fixture();
    mqtt.clear();
    const jobId = await queueJob(hub.db, f.tenantId, [f.trDev], {
      kind: 'tr181.get',
      params: { parameters: ['Device.DeviceInfo.SoftwareVersion'] },
    });
    await dispatcher.dispatch(f.tenantId, jobId);
    expect(mqtt.sent('jobs', f.agentA).map((d) => d.targets)).toEqual([
      [
        {
          deviceId: f.trDev,
          address: '192.0.2.3',
          tr181: { url: 'http://192.0.2.3:7547/', username: 'cpe', password: SECRETS.password },
        },
      ],
    ]);
  });

  it('fails a target whose credential does not decrypt, without sending it', async () => {
    const f = await fixture();
    mqtt.clear();
    // Sealed for another credential id: the associated data does not match.
    await sql(f.tenantId, 'UPDATE credentials SET secret = $2 WHERE id = $1', [
      f.v3,
      sealSecret(hub.app.secrets, f.tenantId, randomUUID(), { authKey: 'x'.repeat(8) }),
    ]);
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    await dispatcher.dispatch(f.tenantId, jobId);
    expect(mqtt.sent('jobs', f.agentA).map((d) => d.targets.map((t) => t.deviceId))).toEqual([[f.snmpDev]]);
    const failed = (await targetsOf(hub.db, f.tenantId, jobId)).get(f.v3Dev);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'config' } });
    expect(failed?.error?.message).toMatch(/cannot be decrypted/);
    expect(JSON.stringify(failed?.error)).not.toContain(SECRETS.authKey);
  });

  it('leaves targets queued when the publish fails', async () => {
    const f = await fixture();
    mqtt.clear();
    mqtt.failWhen = (p) => p.agentId === f.agentB;
    try {
      const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.otherDev]);
      await dispatcher.dispatch(f.tenantId, jobId);
      const targets = await targetsOf(hub.db, f.tenantId, jobId);
      expect(targets.get(f.snmpDev)).toMatchObject({ status: 'dispatched', attempts: 1 });
      expect(targets.get(f.otherDev)).toMatchObject({ status: 'queued', attempts: 0, dispatchedAt: null });
    } finally {
      mqtt.failWhen = null;
    }
  });

  it('splits a job whose targets exceed one message and marks every target once', async () => {
    const { f, devices, jobId } = await dispatchSplitJob();

    const bodies = mqtt.sent('jobs', f.agentA);
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const body of bodies) {
      expect(encodeMessage(messageFor('jobs', body)).bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(body.jobId).toBe(jobId);
    }
    const sent = bodies.flatMap((b) => b.targets.map((t) => t.deviceId));
    expect(new Set(sent).size).toBe(1000);
    expect(sent.sort()).toEqual([...devices].sort());
    const [counts] = await sql<{ dispatched: number; once: number }>(
      f.tenantId,
      `SELECT count(*) FILTER (WHERE status = 'dispatched')::int AS dispatched,
              count(*) FILTER (WHERE attempts = 1)::int AS once
         FROM job_targets WHERE job_id = $1`,
      [jobId],
    );
    expect(counts).toEqual({ dispatched: 1000, once: 1000 });
  });

  it('sends again only the part of a split job whose targets the agent did not receipt', async () => {
    const { f, jobId } = await dispatchSplitJob();
    const [first, ...lost] = mqtt.sent('jobs', f.agentA);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    // The agent stored the first message only, and says so target by target.
    const stored = first!.targets.map((t) => t.deviceId);
    await mqtt.deliver(
      'receipts',
      { tenantId: f.tenantId, agentId: f.agentA },
      {
        jobIds: [jobId],
        targets: [{ jobId, deviceIds: stored }],
      },
    );
    mqtt.clear();
    await dispatcher.resendUnreceipted(f.tenantId, f.agentA);
    const again = mqtt.sent('jobs', f.agentA).flatMap((b) => b.targets.map((t) => t.deviceId));
    expect(again.sort()).toEqual(lost.flatMap((b) => b.targets.map((t) => t.deviceId)).sort());
    expect(again.some((d) => stored.includes(d))).toBe(false);
  });

  it('sends nothing for a job that was cancelled or has finished', async () => {
    const f = await fixture();
    mqtt.clear();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    await sql(f.tenantId, 'UPDATE jobs SET cancel_requested_at = now() WHERE id = $1', [jobId]);
    await dispatcher.dispatch(f.tenantId, jobId);
    await dispatcher.dispatch(f.tenantId, randomUUID());
    expect(mqtt.published).toEqual([]);
  });
});

describe('resend on connect', () => {
  it('re-sends only unreceipted jobs of that agent, oldest first', async () => {
    const f = await fixture();
    const receipted = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    const unreceipted = await queueJob(hub.db, f.tenantId, [f.v3Dev, f.otherDev]);
    const queued = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    await dispatcher.dispatch(f.tenantId, receipted);
    await dispatcher.dispatch(f.tenantId, unreceipted);
    await sql(f.tenantId, 'UPDATE job_targets SET receipted_at = now() WHERE job_id = $1', [receipted]);
    // The lone device gets agent A after the job was queued: its target now goes to A.
    const late = await queueJob(hub.db, f.tenantId, [f.loneDev]);
    await dispatcher.dispatch(f.tenantId, late);
    await sql(f.tenantId, 'UPDATE devices SET agent_id = $2 WHERE id = $1', [f.loneDev, f.agentA]);
    mqtt.clear();

    await dispatcher.resendUnreceipted(f.tenantId, f.agentA);
    expect(mqtt.published.map((p) => [p.agentId, p.channel])).toEqual([
      [f.agentA, 'jobs'],
      [f.agentA, 'jobs'],
      [f.agentA, 'jobs'],
    ]);
    expect(mqtt.sent('jobs').map((d) => [d.jobId, d.targets.map((t) => t.deviceId)])).toEqual([
      [unreceipted, [f.v3Dev]],
      [queued, [f.snmpDev]],
      [late, [f.loneDev]],
    ]);
    const attempts = async (jobId: string, deviceId: string) =>
      (await targetsOf(hub.db, f.tenantId, jobId)).get(deviceId);
    expect(await attempts(receipted, f.snmpDev)).toMatchObject({ attempts: 1 });
    expect(await attempts(unreceipted, f.v3Dev)).toMatchObject({ status: 'dispatched', attempts: 2 });
    expect(await attempts(unreceipted, f.otherDev)).toMatchObject({ attempts: 1 });
    expect(await attempts(queued, f.snmpDev)).toMatchObject({ status: 'dispatched', attempts: 1 });
    expect(await attempts(late, f.loneDev)).toMatchObject({
      status: 'dispatched',
      agentId: f.agentA,
      error: null,
    });
  });

  it('re-sends nothing to an agent revoked after the dispatch', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.otherDev]);
    await dispatcher.dispatch(f.tenantId, jobId);
    expect(mqtt.sent('jobs', f.agentB).some((d) => d.jobId === jobId)).toBe(true);
    await sql(f.tenantId, 'UPDATE agents SET revoked_at = now() WHERE id = $1', [f.agentB]);
    mqtt.clear();
    await dispatcher.resendUnreceipted(f.tenantId, f.agentB);
    expect(mqtt.published).toEqual([]);
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.otherDev)).toMatchObject({
      status: 'dispatched',
      attempts: 1,
    });
  });

  it('expires an overdue unreceipted job instead of sending it', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    await dispatcher.dispatch(f.tenantId, jobId);
    await sql(f.tenantId, "UPDATE jobs SET expires_at = now() - interval '1 second' WHERE id = $1", [jobId]);
    mqtt.clear();
    await dispatcher.resendUnreceipted(f.tenantId, f.agentA);
    expect(mqtt.published).toEqual([]);
    const targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect([...targets.values()].map((t) => [t.status, t.error?.code])).toEqual([
      ['expired', 'expired'],
      ['expired', 'expired'],
    ]);
    expect(await jobOf(hub.db, f.tenantId, jobId)).toMatchObject({ status: 'expired', doneTargets: 2 });
  });

  it('repeats the cancel of a cancelled job instead of its dispatch', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    await dispatcher.dispatch(f.tenantId, jobId);
    await sql(f.tenantId, 'UPDATE job_targets SET receipted_at = now(), status = $2 WHERE job_id = $1', [
      jobId,
      'running',
    ]);
    await sql(f.tenantId, 'UPDATE jobs SET cancel_requested_at = now() WHERE id = $1', [jobId]);
    mqtt.clear();
    await dispatcher.resendUnreceipted(f.tenantId, f.agentA);
    expect(mqtt.published).toEqual([
      { tenantId: f.tenantId, agentId: f.agentA, channel: 'cancel', body: { jobId, targetIds: [f.snmpDev] } },
    ]);
  });
});

describe('cancel', () => {
  it('tells each agent holding active targets, and cancels the ones never receipted', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev, f.otherDev]);
    await dispatcher.dispatch(f.tenantId, jobId);
    await sql(
      f.tenantId,
      'UPDATE job_targets SET receipted_at = now() WHERE job_id = $1 AND device_id <> $2',
      [jobId, f.v3Dev],
    );
    await sql(f.tenantId, "UPDATE job_targets SET status = 'running' WHERE job_id = $1 AND device_id = $2", [
      jobId,
      f.otherDev,
    ]);
    mqtt.clear();
    await dispatcher.cancel(f.tenantId, jobId);

    expect(mqtt.sent('cancel', f.agentA)).toEqual([{ jobId, targetIds: [f.snmpDev, f.v3Dev].sort() }]);
    expect(mqtt.sent('cancel', f.agentB)).toEqual([{ jobId, targetIds: [f.otherDev] }]);
    const targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect(targets.get(f.v3Dev)).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(targets.get(f.snmpDev)?.status).toBe('dispatched');
    expect(targets.get(f.otherDev)?.status).toBe('running');
  });
});

describe('expiry sweep', () => {
  it('expires active targets of overdue jobs in every tenant and settles their jobs', async () => {
    const f = await fixture();
    const g = await fixture();
    const mixed = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    const queued = await queueJob(hub.db, g.tenantId, [g.loneDev]);
    const fresh = await queueJob(hub.db, g.tenantId, [g.snmpDev]);
    await sql(
      f.tenantId,
      `UPDATE job_targets SET status = 'succeeded', finished_at = now() WHERE job_id = $1 AND device_id = $2`,
      [mixed, f.snmpDev],
    );
    await sql(f.tenantId, "UPDATE jobs SET expires_at = now() - interval '1 minute' WHERE id = $1", [mixed]);
    await sql(g.tenantId, "UPDATE jobs SET expires_at = now() - interval '1 minute' WHERE id = $1", [queued]);

    expect(await expireOverdueJobs(hub.db)).toBe(2);
    expect((await targetsOf(hub.db, f.tenantId, mixed)).get(f.v3Dev)).toMatchObject({
      status: 'expired',
      error: { code: 'expired' },
    });
    expect(await jobOf(hub.db, f.tenantId, mixed)).toMatchObject({ status: 'partial', doneTargets: 2 });
    expect(await jobOf(hub.db, g.tenantId, queued)).toMatchObject({ status: 'expired', doneTargets: 1 });
    expect(await jobOf(hub.db, g.tenantId, fresh)).toMatchObject({ status: 'queued', doneTargets: 0 });
    expect(await expireOverdueJobs(hub.db)).toBe(0);
  });

  it('counts again a job left active with no active target, and only such a job', async () => {
    const f = await fixture();
    const stranded = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    const open = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    // Targets ended without a recount, as a missed recount would leave them.
    for (const jobId of [stranded, open]) {
      await sql(
        f.tenantId,
        `UPDATE job_targets SET status = 'succeeded', finished_at = now() WHERE job_id = $1 AND device_id = $2`,
        [jobId, f.snmpDev],
      );
    }
    await sql(
      f.tenantId,
      `UPDATE job_targets SET status = 'failed', finished_at = now() WHERE job_id = $1 AND device_id = $2`,
      [stranded, f.v3Dev],
    );
    expect(await jobOf(hub.db, f.tenantId, stranded)).toMatchObject({ status: 'queued', doneTargets: 0 });

    // Other tests' jobs share the database: at least this one.
    expect(await settleStrandedJobs(hub.db)).toBeGreaterThanOrEqual(1);
    expect(await jobOf(hub.db, f.tenantId, stranded)).toMatchObject({ status: 'partial', doneTargets: 2 });
    // A job with a target still active waits for it, whatever its counts say.
    expect(await jobOf(hub.db, f.tenantId, open)).toMatchObject({ status: 'queued', doneTargets: 0 });
    expect(await settleStrandedJobs(hub.db)).toBe(0);
  });
});
