import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub?.close());

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function auditActions(
  token: string,
  tenantId: string,
): Promise<{ action: string; targetId: string | null; details: unknown }[]> {
  const res = await hub.call(token, 'GET', `/api/v1/tenants/${tenantId}/audit`);
  expect(res.statusCode).toBe(200);
  return res.json().items;
}

describe('GET /api/v1/tenants', () => {
  it('lists only the tenants the caller has a role in, with that role', async () => {
    const msp = await hub.tenant(unique('msp'));
    const customer = await hub.tenant(unique('cust'), { parentId: msp });
    const stranger = await hub.tenant(unique('other'));
    const u = await hub.user({ [msp]: 'operator', [customer]: 'viewer' });
    await hub.user({ [stranger]: 'admin' });
    const res = await hub.call(u.token, 'GET', '/api/v1/tenants');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; role: string; kind: string; parentId: string | null }[];
    expect(items.map((t) => t.id).sort()).toEqual([msp, customer].sort());
    expect(items.find((t) => t.id === msp)).toMatchObject({ role: 'operator', kind: 'msp', parentId: null });
    expect(items.find((t) => t.id === customer)).toMatchObject({
      role: 'viewer',
      kind: 'customer',
      parentId: msp,
    });
    expect(res.body).not.toContain(stranger);
  });

  it('is empty for a user with no roles, and needs a login', async () => {
    const u = await hub.user({});
    expect((await hub.call(u.token, 'GET', '/api/v1/tenants')).json()).toEqual({ items: [] });
    expect((await hub.call(null, 'GET', '/api/v1/tenants')).statusCode).toBe(401);
  });
});

describe('POST /api/v1/tenants', () => {
  it('lets an MSP admin create a customer tenant, of which they become admin, audited in both', async () => {
    const msp = await hub.tenant(unique('msp'));
    const admin = await hub.user({ [msp]: 'admin' });
    const name = unique('Acme Corp');
    const res = await hub.call(admin.token, 'POST', '/api/v1/tenants', { name, parentId: msp });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toEqual({
      id: expect.any(String),
      name,
      kind: 'customer',
      parentId: msp,
      createdAt: expect.any(String),
    });

    const own = await hub.call(admin.token, 'GET', `/api/v1/tenants/${created.id}`);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: created.id, role: 'admin', kind: 'customer' });
    const list = (await hub.call(admin.token, 'GET', '/api/v1/tenants')).json().items;
    expect(list).toContainEqual(expect.objectContaining({ id: created.id, role: 'admin' }));

    for (const tenantId of [msp, created.id]) {
      const entries = await auditActions(admin.token, tenantId);
      expect(entries).toContainEqual(
        expect.objectContaining({ action: 'tenant.create', targetId: created.id, actorUserId: admin.id }),
      );
    }
  });

  it('answers 409 for a second customer of the same name under one MSP', async () => {
    const msp = await hub.tenant(unique('msp'));
    const admin = await hub.user({ [msp]: 'admin' });
    const name = unique('Twin');
    expect((await hub.call(admin.token, 'POST', '/api/v1/tenants', { name, parentId: msp })).statusCode).toBe(
      201,
    );
    const again = await hub.call(admin.token, 'POST', '/api/v1/tenants', {
      name: name.toUpperCase(),
      parentId: msp,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICT');
  });

  it.each(['operator', 'viewer'] as const)(
    'refuses an %s of the MSP with 404 and creates nothing',
    async (role) => {
      const msp = await hub.tenant(unique('msp'));
      const u = await hub.user({ [msp]: role });
      const name = unique('Nope');
      const res = await hub.call(u.token, 'POST', '/api/v1/tenants', { name, parentId: msp });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
      const rows = await hub.db.asOwner((q) => q.query('SELECT 1 FROM tenants WHERE name = $1', [name]));
      expect(rows.rowCount).toBe(0);
    },
  );

  it('refuses the admin of a customer tenant: 404 under an MSP they are not in, 400 under their customer', async () => {
    const msp = await hub.tenant(unique('msp'));
    const customer = await hub.tenant(unique('cust'), { parentId: msp });
    const u = await hub.user({ [customer]: 'admin' });
    const underMsp = await hub.call(u.token, 'POST', '/api/v1/tenants', { name: unique('x'), parentId: msp });
    expect(underMsp.statusCode).toBe(404);
    expect(underMsp.json().error.code).toBe('NOT_FOUND');
    const underCustomer = await hub.call(u.token, 'POST', '/api/v1/tenants', {
      name: unique('x'),
      parentId: customer,
    });
    expect(underCustomer.statusCode).toBe(400);
    expect(underCustomer.json().error.code).toBe('VALIDATION');
  });

  it('answers 404 for an MSP that does not exist', async () => {
    const u = await hub.user({});
    const res = await hub.call(u.token, 'POST', '/api/v1/tenants', { name: 'x', parentId: randomUUID() });
    expect(res.statusCode).toBe(404);
  });
});

describe('GET/PATCH /api/v1/tenants/:tenantId', () => {
  it('shows the tenant with the caller’s role', async () => {
    const msp = await hub.tenant(unique('msp'));
    const u = await hub.user({ [msp]: 'viewer' });
    const res = await hub.call(u.token, 'GET', `/api/v1/tenants/${msp}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: msp,
      name: expect.stringMatching(/^msp-/),
      kind: 'msp',
      parentId: null,
      createdAt: expect.any(String),
      role: 'viewer',
    });
  });

  it('accepts the tenant id in upper case as the same tenant', async () => {
    const msp = await hub.tenant(unique('msp'));
    const u = await hub.user({ [msp]: 'viewer' });
    const res = await hub.call(u.token, 'GET', `/api/v1/tenants/${msp.toUpperCase()}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(msp);
  });

  it.each([
    ['a tenant the caller has no role in', async () => hub.tenant(unique('other'))],
    ['a tenant that does not exist', async () => randomUUID()],
    ['an id that is not a UUID', async () => 'not-a-uuid'],
  ])('answers the same 404 for %s', async (_what, makeId) => {
    const mine = await hub.tenant(unique('mine'));
    const u = await hub.user({ [mine]: 'admin' });
    const id = await makeId();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'stolen' }],
    ] as const) {
      const res = await hub.call(u.token, method, `/api/v1/tenants/${id}`, body);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Tenant not found' } });
    }
  });

  it('lets an admin rename the tenant, audited', async () => {
    const msp = await hub.tenant(unique('msp'));
    const admin = await hub.user({ [msp]: 'admin' });
    const name = unique('Renamed');
    const res = await hub.call(admin.token, 'PATCH', `/api/v1/tenants/${msp}`, { name: `  ${name}  ` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: msp, name });
    expect((await hub.call(admin.token, 'GET', `/api/v1/tenants/${msp}`)).json().name).toBe(name);
    expect(await auditActions(admin.token, msp)).toContainEqual(
      expect.objectContaining({ action: 'tenant.update', targetId: msp, details: { name } }),
    );
  });

  it.each(['operator', 'viewer'] as const)('refuses a rename by an %s with 404', async (role) => {
    const msp = await hub.tenant(unique('msp'));
    const u = await hub.user({ [msp]: role });
    const res = await hub.call(u.token, 'PATCH', `/api/v1/tenants/${msp}`, { name: 'x' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('validates the new name', async () => {
    const msp = await hub.tenant(unique('msp'));
    const admin = await hub.user({ [msp]: 'admin' });
    const res = await hub.call(admin.token, 'PATCH', `/api/v1/tenants/${msp}`, { name: '   ' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: '/name' })]);
  });
});
