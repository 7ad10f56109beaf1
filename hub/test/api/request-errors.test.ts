import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub?.close());

describe('request errors', () => {
  it('a validation error → 400 VALIDATION with details naming the field', async () => {
    const res = await hub.call(null, 'POST', '/api/v1/auth/login', { email: 'not-an-email', password: 'x' });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/email/);
    expect(error.details).toEqual([expect.objectContaining({ path: '/email', message: expect.any(String) })]);
  });

  it('a missing field is named too', async () => {
    const u = await hub.user({});
    const res = await hub.call(u.token, 'POST', '/api/v1/auth/tokens', {});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: '/name' })]);
  });

  it.each([
    ['GET', '/api/v1/nothing-here'],
    ['POST', '/api/v1/tenants/x/y/z'],
    ['GET', '/no/such/page'],
    ['DELETE', '/health'],
  ] as const)('an unknown route (%s %s) → 404 JSON', async (method, url) => {
    const u = await hub.user({});
    const res = await hub.call(u.token, method, url);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: `Route ${method} ${url} not found` } });
  });

  it('an unknown /api route asked anonymously → 401, so route names do not leak', async () => {
    const res = await hub.call(null, 'GET', '/api/v1/nothing-here');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('a body over 1 MiB → 413', async () => {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a body just under 1 MiB is read (and then validated)', async () => {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(1024 * 1024 - 100) }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION');
  });

  it('malformed JSON → 400 without a stack trace', async () => {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "a@example.test", "password": ',
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('VALIDATION');
    expect(res.body).not.toMatch(/at \S+ \(|node_modules/);
  });

  it('an unsupported content type → 415 in the error shape', async () => {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/xml' },
      payload: '<login/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  });
});
