import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
let tenantId: string;
beforeAll(async () => {
  hub = await createTestHub();
  tenantId = await hub.tenant(`tokens-${randomUUID().slice(0, 6)}`);
});
afterAll(() => hub?.close());

const me = (headers: Record<string, string>) =>
  hub.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers });

describe('API tokens', () => {
  it('are created, listed without their value, authenticate, and are revoked', async () => {
    const u = await hub.user({ [tenantId]: 'viewer' });
    const created = await hub.call(u.token, 'POST', '/api/v1/auth/tokens', {
      name: 'ci pipeline',
      expiresInDays: 30,
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toEqual({
      id: expect.any(String),
      name: 'ci pipeline',
      token: expect.stringMatching(/^drma_/),
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      lastUsedAt: null,
    });
    const days = (Date.parse(body.expiresAt) - Date.parse(body.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(30, 1);

    const list = await hub.call(u.token, 'GET', '/api/v1/auth/tokens');
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([
      {
        id: body.id,
        name: 'ci pipeline',
        createdAt: body.createdAt,
        expiresAt: body.expiresAt,
        lastUsedAt: null,
      },
    ]);
    expect(list.body).not.toContain(body.token);
    expect(list.body).not.toContain(body.token.slice(5, 20));

    const asApi = await me({ authorization: `Bearer ${body.token}` });
    expect(asApi.statusCode).toBe(200);
    expect(asApi.json().user.id).toBe(u.id);
    const used = (await hub.call(u.token, 'GET', '/api/v1/auth/tokens')).json().items[0];
    expect(used.lastUsedAt).not.toBeNull();

    const revoked = await hub.call(u.token, 'DELETE', `/api/v1/auth/tokens/${body.id}`);
    expect(revoked.statusCode).toBe(204);
    expect((await me({ authorization: `Bearer ${body.token}` })).statusCode).toBe(401);
    expect((await hub.call(u.token, 'GET', '/api/v1/auth/tokens')).json().items).toEqual([]);
    expect((await hub.call(u.token, 'DELETE', `/api/v1/auth/tokens/${body.id}`)).statusCode).toBe(404);
  });

  it('never lists session tokens, and a session cannot be revoked through the token route by another user', async () => {
    const owner = await hub.user({});
    const other = await hub.user({});
    const created = (await hub.call(owner.token, 'POST', '/api/v1/auth/tokens', { name: 'mine' })).json();
    expect(created.expiresAt).toBeNull();
    expect((await hub.call(other.token, 'GET', '/api/v1/auth/tokens')).json().items).toEqual([]);
    const res = await hub.call(other.token, 'DELETE', `/api/v1/auth/tokens/${created.id}`);
    expect(res.statusCode).toBe(404);
    expect((await me({ authorization: `Bearer ${created.token}` })).statusCode).toBe(200);
  });

  it('an API token cannot mint further tokens', async () => {
    const u = await hub.user({});
    const api = (await hub.call(u.token, 'POST', '/api/v1/auth/tokens', { name: 'first' })).json()
      .token as string;
    const res = await hub.call(api, 'POST', '/api/v1/auth/tokens', { name: 'second' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });

  it('an API token acts with its user’s roles in a tenant', async () => {
    const u = await hub.user({ [tenantId]: 'viewer' });
    const api = (await hub.call(u.token, 'POST', '/api/v1/auth/tokens', { name: 'read' })).json()
      .token as string;
    expect((await hub.call(api, 'GET', `/api/v1/tenants/${tenantId}/sites`)).statusCode).toBe(200);
    expect((await hub.call(api, 'POST', `/api/v1/tenants/${tenantId}/sites`, { name: 'x' })).statusCode).toBe(
      404,
    );
  });
});
