import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub, type TestUser } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub?.close());

interface Team {
  tenantId: string;
  admin: TestUser;
  base: string;
}

async function team(): Promise<Team> {
  const tenantId = await hub.tenant(`users-${randomUUID().slice(0, 8)}`);
  const admin = await hub.user({ [tenantId]: 'admin' });
  return { tenantId, admin, base: `/api/v1/tenants/${tenantId}/users` };
}

const email = () => `new-${randomUUID().slice(0, 8)}@example.test`;

async function audit(t: Team, action: string) {
  const res = await hub.call(t.admin.token, 'GET', `/api/v1/tenants/${t.tenantId}/audit?action=${action}`);
  expect(res.statusCode).toBe(200);
  return res.json().items as { targetId: string; details: Record<string, unknown> }[];
}

describe('tenant users', () => {
  it('an admin lists the members with their roles', async () => {
    const t = await team();
    const viewer = await hub.user({ [t.tenantId]: 'viewer' });
    const outsider = await hub.user({});
    const res = await hub.call(t.admin.token, 'GET', t.base);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { userId: string; role: string; email: string }[];
    expect(items.map((m) => [m.userId, m.role]).sort()).toEqual(
      [
        [t.admin.id, 'admin'],
        [viewer.id, 'viewer'],
      ].sort(),
    );
    expect(res.body).not.toContain(outsider.id);
    expect(res.body).not.toMatch(/password|scrypt/i);
    const one = await hub.call(t.admin.token, 'GET', `${t.base}/${viewer.id}`);
    expect(one.json()).toEqual({
      userId: viewer.id,
      email: viewer.email,
      name: expect.any(String),
      role: 'viewer',
      createdAt: expect.any(String),
    });
    expect((await hub.call(t.admin.token, 'GET', `${t.base}/${outsider.id}`)).statusCode).toBe(404);
  });

  it('an admin changes a role, which takes effect at once; audited', async () => {
    const t = await team();
    const u = await hub.user({ [t.tenantId]: 'viewer' });
    const sites = `/api/v1/tenants/${t.tenantId}/sites`;
    expect((await hub.call(u.token, 'POST', sites, { name: 'before' })).statusCode).toBe(404);
    const res = await hub.call(t.admin.token, 'PATCH', `${t.base}/${u.id}`, { role: 'admin' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ userId: u.id, role: 'admin' });
    expect((await hub.call(u.token, 'POST', sites, { name: 'after' })).statusCode).toBe(201);
    expect(await audit(t, 'member.update')).toEqual([
      expect.objectContaining({ targetId: u.id, details: { role: 'admin' } }),
    ]);
  });

  it('answers 404 for changing or removing someone who is not a member', async () => {
    const t = await team();
    const outsider = await hub.user({});
    expect(
      (await hub.call(t.admin.token, 'PATCH', `${t.base}/${outsider.id}`, { role: 'viewer' })).statusCode,
    ).toBe(404);
    expect((await hub.call(t.admin.token, 'DELETE', `${t.base}/${outsider.id}`)).statusCode).toBe(404);
    expect((await hub.call(t.admin.token, 'DELETE', `${t.base}/${randomUUID()}`)).statusCode).toBe(404);
  });

  it('cannot demote or remove the last admin (409)', async () => {
    const t = await team();
    for (const role of ['operator', 'viewer'] as const) {
      const res = await hub.call(t.admin.token, 'PATCH', `${t.base}/${t.admin.id}`, { role });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('CONFLICT');
    }
    const removal = await hub.call(t.admin.token, 'DELETE', `${t.base}/${t.admin.id}`);
    expect(removal.statusCode).toBe(409);
    expect((await hub.call(t.admin.token, 'GET', `${t.base}/${t.admin.id}`)).json().role).toBe('admin');
    // Keeping the role it has is not a demotion.
    expect(
      (await hub.call(t.admin.token, 'PATCH', `${t.base}/${t.admin.id}`, { role: 'admin' })).statusCode,
    ).toBe(200);
  });

  it('with a second admin, one may step down and the other then removes them; audited', async () => {
    const t = await team();
    const second = await hub.user({ [t.tenantId]: 'admin' });
    expect(
      (await hub.call(second.token, 'PATCH', `${t.base}/${second.id}`, { role: 'viewer' })).statusCode,
    ).toBe(200);
    const res = await hub.call(t.admin.token, 'DELETE', `${t.base}/${second.id}`);
    expect(res.statusCode).toBe(204);
    expect((await hub.call(t.admin.token, 'GET', `${t.base}/${second.id}`)).statusCode).toBe(404);
    expect((await hub.call(second.token, 'GET', `/api/v1/tenants/${t.tenantId}`)).statusCode).toBe(404);
    expect(await audit(t, 'member.remove')).toEqual([expect.objectContaining({ targetId: second.id })]);
  });

  it.each(['operator', 'viewer'] as const)(
    'an %s gets 404 on every users and invitations route',
    async (role) => {
      const t = await team();
      const u = await hub.user({ [t.tenantId]: role });
      const calls = [
        ['GET', t.base, undefined],
        ['GET', `${t.base}/${t.admin.id}`, undefined],
        ['POST', `/api/v1/tenants/${t.tenantId}/invitations`, { email: email(), role: 'admin' }],
        ['GET', `/api/v1/tenants/${t.tenantId}/invitations`, undefined],
        ['PATCH', `${t.base}/${u.id}`, { role: 'admin' }],
        ['PATCH', `${t.base}/${t.admin.id}`, { role: 'viewer' }],
        ['DELETE', `${t.base}/${t.admin.id}`, undefined],
      ] as const;
      for (const [method, url, body] of calls) {
        const res = await hub.call(u.token, method, url, body);
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.json().error.code).toBe('NOT_FOUND');
      }
      expect((await hub.call(t.admin.token, 'GET', `${t.base}/${u.id}`)).json().role).toBe(role);
    },
  );

  it('pages the member list', async () => {
    const t = await team();
    for (let i = 0; i < 3; i++) await hub.user({ [t.tenantId]: 'viewer' });
    const first = (await hub.call(t.admin.token, 'GET', `${t.base}?limit=3`)).json();
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (
      await hub.call(t.admin.token, 'GET', `${t.base}?limit=3&cursor=${first.nextCursor}`)
    ).json();
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const all = [...first.items, ...second.items].map((m: { userId: string }) => m.userId);
    expect(new Set(all).size).toBe(4);
    expect(all).toContain(t.admin.id);
  });
});
