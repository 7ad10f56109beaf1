import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub?.close());

interface Entry {
  action: string;
  actorUserId: string | null;
  actorKind: string;
  actorEmail?: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
  at: string;
}

describe('audit log', () => {
  it('records every write of the tenant, newest first, with who did it', async () => {
    const tenantId = await hub.tenant(`audit-${randomUUID().slice(0, 8)}`);
    const admin = await hub.user({ [tenantId]: 'admin' });
    const base = `/api/v1/tenants/${tenantId}`;
    const site = (await hub.call(admin.token, 'POST', `${base}/sites`, { name: 'Depot' })).json();
    await hub.call(admin.token, 'PATCH', `${base}/sites/${site.id}`, { name: 'Depot 2' });
    await hub.call(admin.token, 'DELETE', `${base}/sites/${site.id}`);
    const invitation = (
      await hub.call(admin.token, 'POST', `${base}/invitations`, {
        email: 'later@example.test',
        role: 'viewer',
      })
    ).json();
    await hub.call(admin.token, 'DELETE', `${base}/invitations/${invitation.id}`);
    const member = { userId: (await hub.user({ [tenantId]: 'viewer' })).id };
    await hub.call(admin.token, 'PATCH', `${base}/users/${member.userId}`, { role: 'operator' });
    await hub.call(admin.token, 'DELETE', `${base}/users/${member.userId}`);
    await hub.call(admin.token, 'PATCH', base, { name: `audit-renamed-${randomUUID().slice(0, 8)}` });

    const res = await hub.call(admin.token, 'GET', `${base}/audit`);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Entry[];
    expect(items.map((e) => [e.action, e.targetType, e.targetId])).toEqual([
      ['tenant.update', 'tenant', tenantId],
      ['member.remove', 'user', member.userId],
      ['member.update', 'user', member.userId],
      ['invitation.revoke', 'invitation', invitation.id],
      ['invitation.create', 'invitation', invitation.id],
      ['site.delete', 'site', site.id],
      ['site.update', 'site', site.id],
      ['site.create', 'site', site.id],
    ]);
    for (const e of items) {
      expect(e).toMatchObject({ actorUserId: admin.id, actorKind: 'user', actorEmail: admin.email });
    }
    const times = items.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(res.body).not.toContain('twelve chars or more');
  });

  it('a failed or refused write leaves no entry', async () => {
    const tenantId = await hub.tenant(`audit-${randomUUID().slice(0, 8)}`);
    const admin = await hub.user({ [tenantId]: 'admin' });
    const viewer = await hub.user({ [tenantId]: 'viewer' });
    const base = `/api/v1/tenants/${tenantId}`;
    await hub.call(viewer.token, 'POST', `${base}/sites`, { name: 'refused' });
    await hub.call(admin.token, 'PATCH', `${base}/users/${admin.id}`, { role: 'viewer' });
    await hub.call(admin.token, 'PATCH', `${base}/sites/${randomUUID()}`, { name: 'missing' });
    await hub.call(admin.token, 'POST', `${base}/sites`, { name: 'dup' });
    await hub.call(admin.token, 'POST', `${base}/sites`, { name: 'dup' });
    const items = (await hub.call(admin.token, 'GET', `${base}/audit`)).json().items as Entry[];
    expect(items.map((e) => e.action)).toEqual(['site.create']);
  });

  it('marks writes made through an API token', async () => {
    const tenantId = await hub.tenant(`audit-${randomUUID().slice(0, 8)}`);
    const admin = await hub.user({ [tenantId]: 'admin' });
    const api = (await hub.call(admin.token, 'POST', '/api/v1/auth/tokens', { name: 'robot' })).json().token;
    await hub.call(api, 'POST', `/api/v1/tenants/${tenantId}/sites`, { name: 'by robot' });
    const [entry] = (await hub.call(admin.token, 'GET', `/api/v1/tenants/${tenantId}/audit`)).json()
      .items as Entry[];
    expect(entry).toMatchObject({ action: 'site.create', actorKind: 'api-token', actorUserId: admin.id });
  });

  it('filters by action and by actor, and pages', async () => {
    const tenantId = await hub.tenant(`audit-${randomUUID().slice(0, 8)}`);
    const admin = await hub.user({ [tenantId]: 'admin' });
    const other = await hub.user({ [tenantId]: 'admin' });
    const base = `/api/v1/tenants/${tenantId}`;
    for (const n of ['a', 'b', 'c']) await hub.call(admin.token, 'POST', `${base}/sites`, { name: n });
    await hub.call(other.token, 'PATCH', base, { name: `audit-f-${randomUUID().slice(0, 8)}` });
    const byAction = (await hub.call(admin.token, 'GET', `${base}/audit?action=site.create`)).json()
      .items as Entry[];
    expect(byAction).toHaveLength(3);
    const byActor = (await hub.call(admin.token, 'GET', `${base}/audit?actorUserId=${other.id}`)).json()
      .items as Entry[];
    expect(byActor.map((e) => e.action)).toEqual(['tenant.update']);
    const page1 = (await hub.call(admin.token, 'GET', `${base}/audit?limit=3`)).json();
    const page2 = (
      await hub.call(admin.token, 'GET', `${base}/audit?limit=3&cursor=${page1.nextCursor}`)
    ).json();
    expect(page1.items).toHaveLength(3);
    expect(page2).toEqual({
      items: [expect.objectContaining({ action: 'site.create', details: { name: 'a' } })],
      nextCursor: null,
    });
  });

  it.each(['operator', 'viewer'] as const)('an %s gets 404', async (role) => {
    const tenantId = await hub.tenant(`audit-${randomUUID().slice(0, 8)}`);
    const u = await hub.user({ [tenantId]: role });
    const res = await hub.call(u.token, 'GET', `/api/v1/tenants/${tenantId}/audit`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('is append-only for the application role', async () => {
    const tenantId = await hub.tenant(`audit-${randomUUID().slice(0, 8)}`);
    const admin = await hub.user({ [tenantId]: 'admin' });
    await hub.call(admin.token, 'POST', `/api/v1/tenants/${tenantId}/sites`, { name: 'kept' });
    for (const sql of [
      'UPDATE audit_log SET action = $2 WHERE tenant_id = $1',
      'DELETE FROM audit_log WHERE tenant_id = $1 AND $2::text IS NOT NULL',
    ]) {
      await expect(hub.db.withTenant(tenantId, (q) => q.query(sql, [tenantId, 'x']))).rejects.toMatchObject({
        code: '42501',
      });
    }
    const items = (await hub.call(admin.token, 'GET', `/api/v1/tenants/${tenantId}/audit`)).json()
      .items as Entry[];
    expect(items.map((e) => e.action)).toEqual(['site.create']);
  });
});
