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
  operator: TestUser;
  viewer: TestUser;
  base: string;
}

async function team(): Promise<Team> {
  const tenantId = await hub.tenant(`sites-${randomUUID().slice(0, 8)}`);
  const [admin, operator, viewer] = await Promise.all([
    hub.user({ [tenantId]: 'admin' }),
    hub.user({ [tenantId]: 'operator' }),
    hub.user({ [tenantId]: 'viewer' }),
  ]);
  return { tenantId, admin, operator, viewer, base: `/api/v1/tenants/${tenantId}/sites` };
}

async function createSite(t: Team, body: Record<string, unknown> = {}) {
  const res = await hub.call(t.admin.token, 'POST', t.base, {
    name: `Site ${randomUUID().slice(0, 8)}`,
    ...body,
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; name: string; tenantId: string; updatedAt: string };
}

async function audit(t: Team, action: string) {
  const res = await hub.call(t.admin.token, 'GET', `/api/v1/tenants/${t.tenantId}/audit?action=${action}`);
  return res.json().items as { action: string; targetId: string; details: Record<string, unknown> }[];
}

describe('sites', () => {
  it('an admin creates a site with defaults, and it is audited', async () => {
    const t = await team();
    const res = await hub.call(t.admin.token, 'POST', t.base, { name: '  Head office  ' });
    expect(res.statusCode).toBe(201);
    const site = res.json();
    expect(site).toEqual({
      id: expect.any(String),
      tenantId: t.tenantId,
      name: 'Head office',
      description: '',
      address: '',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await audit(t, 'site.create')).toEqual([
      expect.objectContaining({
        targetId: site.id,
        details: { name: 'Head office' },
        actorUserId: t.admin.id,
      }),
    ]);
  });

  it('viewers and operators read the list and one site', async () => {
    const t = await team();
    const site = await createSite(t, { address: '1 Main St' });
    for (const u of [t.viewer, t.operator]) {
      const list = await hub.call(u.token, 'GET', t.base);
      expect(list.statusCode).toBe(200);
      expect(list.json()).toEqual({
        items: [expect.objectContaining({ id: site.id, address: '1 Main St' })],
        nextCursor: null,
      });
      const one = await hub.call(u.token, 'GET', `${t.base}/${site.id}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toEqual(site);
    }
  });

  it.each(['operator', 'viewer'] as const)(
    'an %s cannot create, change or delete a site (404), and nothing changes',
    async (role) => {
      const t = await team();
      const site = await createSite(t);
      const u = t[role];
      const calls = [
        ['POST', t.base, { name: 'x' }],
        ['PATCH', `${t.base}/${site.id}`, { name: 'renamed' }],
        ['DELETE', `${t.base}/${site.id}`, undefined],
      ] as const;
      for (const [method, url, body] of calls) {
        const res = await hub.call(u.token, method, url, body);
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.json().error.code).toBe('NOT_FOUND');
      }
      expect((await hub.call(t.admin.token, 'GET', t.base)).json().items).toEqual([site]);
    },
  );

  it('an admin changes a site; fields left out are kept; audited', async () => {
    const t = await team();
    const site = await createSite(t, { description: 'first floor', address: 'Old road' });
    const res = await hub.call(t.admin.token, 'PATCH', `${t.base}/${site.id}`, { address: 'New road' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: site.id,
      name: site.name,
      description: 'first floor',
      address: 'New road',
    });
    expect(Date.parse(res.json().updatedAt)).toBeGreaterThanOrEqual(Date.parse(site.updatedAt));
    expect(await audit(t, 'site.update')).toEqual([
      expect.objectContaining({ targetId: site.id, details: { address: 'New road' } }),
    ]);
  });

  it('an admin deletes an unused site: 204, then 404, audited', async () => {
    const t = await team();
    const site = await createSite(t);
    const res = await hub.call(t.admin.token, 'DELETE', `${t.base}/${site.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const gone = await hub.call(t.admin.token, method, `${t.base}/${site.id}`, body);
      expect(gone.statusCode).toBe(404);
      expect(gone.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Site not found' } });
    }
    expect(await audit(t, 'site.delete')).toEqual([expect.objectContaining({ targetId: site.id })]);
  });

  it('refuses to delete a site that a device still uses (409), and keeps it', async () => {
    const t = await team();
    const site = await createSite(t);
    await hub.db.withTenant(t.tenantId, (q) =>
      q.query(
        `INSERT INTO devices (tenant_id, site_id, name, address) VALUES ($1, $2, 'router-1', '192.0.2.1')`,
        [t.tenantId, site.id],
      ),
    );
    const res = await hub.call(t.admin.token, 'DELETE', `${t.base}/${site.id}`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('CONFLICT');
    expect((await hub.call(t.admin.token, 'GET', `${t.base}/${site.id}`)).statusCode).toBe(200);
    expect(await audit(t, 'site.delete')).toEqual([]);
  });

  it('refuses a second site of the same name in a tenant (409), but another tenant may use it', async () => {
    const t = await team();
    const other = await team();
    await createSite(t, { name: 'Warehouse' });
    const dup = await hub.call(t.admin.token, 'POST', t.base, { name: 'warehouse' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('CONFLICT');
    expect((await hub.call(other.admin.token, 'POST', other.base, { name: 'Warehouse' })).statusCode).toBe(
      201,
    );
  });

  it.each([
    ['an empty name', { name: '' }, '/name'],
    ['a missing name', {}, '/name'],
    ['an over-long address', { name: 'ok', address: 'x'.repeat(501) }, '/address'],
  ])('validates %s', async (_what, body, path) => {
    const t = await team();
    const res = await hub.call(t.admin.token, 'POST', t.base, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'VALIDATION',
      details: [expect.objectContaining({ path })],
    });
  });

  it('answers 400 for an id that is not a UUID, and 404 for one that does not exist', async () => {
    const t = await team();
    expect((await hub.call(t.viewer.token, 'GET', `${t.base}/not-a-uuid`)).statusCode).toBe(400);
    expect((await hub.call(t.viewer.token, 'GET', `${t.base}/${randomUUID()}`)).statusCode).toBe(404);
  });

  it('pages newest first with a cursor, and filters by name or address', async () => {
    const t = await team();
    const made = [];
    for (const name of ['Alpha', 'Bravo', 'Charlie'])
      made.push(await createSite(t, { name, address: `${name} street` }));
    const first = (await hub.call(t.viewer.token, 'GET', `${t.base}?limit=2`)).json();
    expect(first.items.map((s: { name: string }) => s.name)).toEqual(['Charlie', 'Bravo']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (
      await hub.call(t.viewer.token, 'GET', `${t.base}?limit=2&cursor=${first.nextCursor}`)
    ).json();
    expect(second).toEqual({ items: [expect.objectContaining({ name: 'Alpha' })], nextCursor: null });
    const filtered = (await hub.call(t.viewer.token, 'GET', `${t.base}?q=brav`)).json();
    expect(filtered.items.map((s: { id: string }) => s.id)).toEqual([made[1]!.id]);
    const wildcard = (await hub.call(t.viewer.token, 'GET', `${t.base}?q=%25`)).json();
    expect(wildcard.items).toEqual([]);
  });

  it.each([
    ['a bad cursor', '?cursor=garbage', 'BAD_CURSOR'],
    ['a limit over 200', '?limit=201', 'VALIDATION'],
    ['a limit of 0', '?limit=0', 'VALIDATION'],
  ])('refuses %s with 400', async (_what, query, code) => {
    const t = await team();
    const res = await hub.call(t.viewer.token, 'GET', `${t.base}${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(code);
  });
});

describe('paging at microsecond precision', () => {
  it('returns every row exactly once when rows share a millisecond', async () => {
    const t = await team();
    // Five sites inside one millisecond: a cursor cut to milliseconds would skip some of them.
    await hub.db.withTenant(t.tenantId, async (q) => {
      for (let i = 1; i <= 5; i++) {
        await q.query(
          `INSERT INTO sites (tenant_id, id, name, created_at) VALUES ($1, gen_random_uuid(), $2, $3::timestamptz)`,
          [t.tenantId, `same-ms-${i}`, `2026-01-01T00:00:00.000${i}00Z`],
        );
      }
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await hub.call(
        t.viewer.token,
        'GET',
        `${t.base}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.statusCode).toBe(200);
      const page = res.json() as { items: { name: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((s) => s.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['same-ms-5', 'same-ms-4', 'same-ms-3', 'same-ms-2', 'same-ms-1']);
  });
});
