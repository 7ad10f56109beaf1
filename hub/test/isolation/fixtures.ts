import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestHub, TestUser } from '../helpers/hub.js';

/** One of every kind of tenant-owned row, and the admin who owns them. */
export interface TenantFixture {
  tenantId: string;
  admin: TestUser;
  /** Appears in every name of this tenant's rows, so a leaked row is easy to spot in a body. */
  marker: string;
  /** The SNMP community stored (encrypted) in the credential. */
  community: string;
  ids: {
    siteId: string;
    credentialId: string;
    agentId: string;
    deviceId: string;
    enrollmentTokenId: string;
    scheduleId: string;
    jobId: string;
    resultId: string;
    eventId: string;
    sampleId: string;
    invitationId: string;
  };
}

export const SAMPLE_OID = '1.3.6.1.2.1.1.3.0';
const SYS_DESCR = '1.3.6.1.2.1.1.1.0';

async function post<T>(hub: TestHub, token: string, url: string, body: unknown, status: number): Promise<T> {
  const res = await hub.call(token, 'POST', url, body);
  expect(res.statusCode, `fixture POST ${url}: ${res.body}`).toBe(status);
  return res.json() as T;
}

/**
 * A tenant with data in every tenant-owned table. What has an API is made through it (as the
 * tenant's admin), so the rows are what the modules write; agents, results, events and samples
 * arrive from agents over MQTT in production and are inserted directly.
 */
export async function seedTenant(hub: TestHub, label: string): Promise<TenantFixture> {
  const marker = `${label}-${randomUUID().slice(0, 8)}`;
  const tenantId = await hub.tenant(`tenant ${marker}`);
  const admin = await hub.user({ [tenantId]: 'admin' }, { email: `admin-${marker}@example.test` });
  const base = `/api/v1/tenants/${tenantId}`;
  const community = `community-${marker}`;

  const site = await post<{ id: string }>(
    hub,
    admin.token,
    `${base}/sites`,
    { name: `site ${marker}`, address: `street ${marker}` },
    201,
  );
  const credential = await post<{ id: string }>(
    hub,
    admin.token,
    `${base}/credentials`,
    { kind: 'snmp-community', name: `credential ${marker}`, community },
    201,
  );
  const agentId = randomUUID();
  await hub.db.withTenant(tenantId, (q) =>
    q.query(
      `INSERT INTO agents (tenant_id, id, site_id, name, version, mqtt_username, secret_hash, state, last_seen_at)
       VALUES ($1, $2, $3, $4, '1.0.0', $5, 'not-a-real-hash', 'online', now())`,
      [tenantId, agentId, site.id, `agent ${marker}`, `agent-${agentId}`],
    ),
  );
  const device = await post<{ id: string }>(
    hub,
    admin.token,
    `${base}/devices`,
    {
      siteId: site.id,
      agentId,
      name: `device ${marker}`,
      address: '192.0.2.10',
      description: `described ${marker}`,
      snmp: { version: '2c', credentialId: credential.id },
    },
    201,
  );
  const token = await post<{ id: string }>(
    hub,
    admin.token,
    `${base}/enrollment-tokens`,
    { siteId: site.id },
    201,
  );
  const schedule = await post<{ id: string }>(
    hub,
    admin.token,
    `${base}/schedules`,
    {
      name: `schedule ${marker}`,
      kind: 'snmp.get',
      deviceIds: [device.id],
      intervalSeconds: 60,
      params: { oids: [SAMPLE_OID] },
    },
    201,
  );
  const job = await post<{ id: string }>(
    hub,
    admin.token,
    `${base}/jobs`,
    { kind: 'snmp.get', targets: [device.id], params: { oids: [SYS_DESCR] } },
    202,
  );

  const invitation = await post<{ id: string }>(
    hub,
    admin.token,
    `${base}/invitations`,
    { email: `invited-${marker.toLowerCase()}@example.test`, role: 'viewer' },
    201,
  );

  const resultId = randomUUID();
  const eventId = randomUUID();
  const sampleId = randomUUID();
  await hub.db.withTenant(tenantId, async (q) => {
    await q.query(
      `INSERT INTO job_results (tenant_id, id, job_id, device_id, agent_id, status, started_at, finished_at, varbinds)
       VALUES ($1, $2, $3, $4, $5, 'succeeded', now() - interval '1 second', now(), $6)`,
      [
        tenantId,
        resultId,
        job.id,
        device.id,
        agentId,
        JSON.stringify([{ oid: SYS_DESCR, type: 'OctetString', value: `router ${marker}` }]),
      ],
    );
    await q.query(
      `UPDATE job_targets SET status = 'succeeded', started_at = now(), finished_at = now() WHERE job_id = $1`,
      [job.id],
    );
    await q.query(
      `INSERT INTO events (tenant_id, id, agent_id, device_id, kind, summary) VALUES ($1, $2, $3, $4, 'agent.online', $5)`,
      [tenantId, eventId, agentId, device.id, `event ${marker}`],
    );
    await q.query(
      `INSERT INTO samples (tenant_id, id, device_id, schedule_id, ts, oid, name, value_num)
       VALUES ($1, $2, $3, $4, now() - interval '1 minute', $5, 'sysUpTime.0', 42)`,
      [tenantId, sampleId, device.id, schedule.id, SAMPLE_OID],
    );
  });

  return {
    tenantId,
    admin,
    marker,
    community,
    ids: {
      siteId: site.id,
      credentialId: credential.id,
      agentId,
      deviceId: device.id,
      enrollmentTokenId: token.id,
      scheduleId: schedule.id,
      jobId: job.id,
      resultId,
      eventId,
      sampleId,
      invitationId: invitation.id,
    },
  };
}

/** Strings that must never reach another tenant: ids, names (through the marker), the email, the secret. */
export function tenantSecrets(f: TenantFixture): string[] {
  return [f.tenantId, ...Object.values(f.ids), f.marker, f.admin.id, f.admin.email, f.community];
}
