import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
let tenantId: string;
beforeAll(async () => {
  hub = await createTestHub();
  tenantId = await hub.tenant(`auth-${randomUUID().slice(0, 6)}`);
});
afterAll(() => hub?.close());

// Each test logs in from its own address so the per-address limiter of one test cannot
// throttle another.
let lastOctet = 10;
const nextAddress = () => `10.0.0.${lastOctet++}`;

function login(email: string, password: string, remoteAddress = '10.0.0.1') {
  return hub.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
    remoteAddress,
  });
}

function sessionCookie(setCookie: string | string[] | undefined): string {
  const raw = [setCookie ?? []].flat().find((c) => c.startsWith('drm_session='));
  if (!raw) throw new Error('no drm_session cookie set');
  return raw;
}

const me = (headers: Record<string, string>, url = '/api/v1/auth/me') =>
  hub.app.inject({ method: 'GET', url, headers });

describe('login', () => {
  it('returns a token, the user and their tenants, and sets an HttpOnly SameSite cookie', async () => {
    const u = await hub.user({ [tenantId]: 'operator' });
    const res = await login(u.email.toUpperCase(), u.password, nextAddress());
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.token).toMatch(/^drms_[A-Za-z0-9_-]{43}$/);
    expect(body.user).toEqual({ id: u.id, email: u.email, name: u.email.split('@')[0] });
    expect(body.tenants).toEqual([expect.objectContaining({ id: tenantId, role: 'operator', kind: 'msp' })]);
    const cookie = sessionCookie(res.headers['set-cookie']);
    expect(cookie).toContain(`drm_session=${body.token}`);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
    expect(cookie).toMatch(/; Expires=/i);
  });

  it('stores only a hash of the session token', async () => {
    const u = await hub.user({});
    const token = (await login(u.email, u.password, nextAddress())).json().token as string;
    const rows = await hub.db.asOwner((q) =>
      q.query<{ hex: string }>(
        `SELECT encode(token_hash, 'hex') AS hex FROM auth_tokens WHERE user_id = $1`,
        [u.id],
      ),
    );
    expect(rows.rows.length).toBeGreaterThan(0);
    for (const r of rows.rows) expect(r.hex).not.toContain(Buffer.from(token).toString('hex'));
  });

  it('the session cookie alone authenticates', async () => {
    const u = await hub.user({ [tenantId]: 'viewer' });
    const res = await login(u.email, u.password, nextAddress());
    const token = res.json().token as string;
    const ok = await hub.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      cookies: { drm_session: token },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({
      user: { id: u.id, email: u.email, name: expect.any(String) },
      tenants: [expect.objectContaining({ id: tenantId, role: 'viewer' })],
    });
  });

  it('the bearer token alone authenticates', async () => {
    const u = await hub.user({});
    const ok = await me({ authorization: `Bearer ${u.token}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.id).toBe(u.id);
  });

  it.each([
    ['no token', {}],
    ['an unknown bearer token', { authorization: 'Bearer drms_nottherealtokenxxxxxxxxxxxxxxxxxxxxxxxxxxx' }],
    ['a malformed Authorization header', { authorization: 'Basic dXNlcjpwdw==' }],
    ['an oversized token', { authorization: `Bearer ${'x'.repeat(500)}` }],
    ['an unknown cookie', { cookie: 'drm_session=drms_forged' }],
  ])('%s → 401 UNAUTHENTICATED with the error shape', async (_what, headers) => {
    const res = await me(headers);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      error: { code: 'UNAUTHENTICATED', message: 'Log in first: no valid session cookie or bearer token' },
    });
  });

  it('a percent-encoded path is authenticated like the plain one', async () => {
    const u = await hub.user({ [tenantId]: 'viewer' });
    for (const url of ['/%61pi/v1/auth/me', `/%61pi/v1/tenants/${tenantId}/sites`]) {
      expect((await me({}, url)).statusCode, url).toBe(401);
      expect((await me({ authorization: `Bearer ${u.token}` }, url)).statusCode, url).toBe(200);
    }
  });

  it('a bad Authorization header is not rescued by a good cookie', async () => {
    const u = await hub.user({});
    const res = await me({ authorization: 'Bearer wrong', cookie: `drm_session=${u.token}` });
    expect(res.statusCode).toBe(401);
  });

  it.each(['token', 'access_token', 'drm_session', 'bearer'])(
    'a token in the URL query (?%s=) does not authenticate',
    async (name) => {
      const u = await hub.user({});
      const res = await me({}, `/api/v1/auth/me?${name}=${u.token}`);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    },
  );

  it('a wrong password and an unknown email get the same 401 INVALID_CREDENTIALS', async () => {
    const u = await hub.user({});
    const address = nextAddress();
    const wrong = await login(u.email, 'not the password', address);
    const unknown = await login(`nobody-${randomUUID()}@example.test`, 'not the password', address);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual({
      error: { code: 'INVALID_CREDENTIALS', message: 'Wrong email or password' },
    });
    expect(unknown.json()).toEqual(wrong.json());
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('a disabled account cannot log in, and its existing tokens stop working', async () => {
    const u = await hub.user({});
    await hub.db.asOwner((q) => q.query('UPDATE users SET disabled_at = now() WHERE id = $1', [u.id]));
    const res = await login(u.email, u.password, nextAddress());
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('INVALID_CREDENTIALS');
    expect((await me({ authorization: `Bearer ${u.token}` })).statusCode).toBe(401);
  });

  it('an expired session token is refused', async () => {
    const u = await hub.user({});
    await hub.db.asOwner((q) =>
      q.query(`UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [u.id]),
    );
    expect((await me({ authorization: `Bearer ${u.token}` })).statusCode).toBe(401);
  });

  it('after 5 failures for one account it answers 429 with retry-after, even for the right password', async () => {
    const u = await hub.user({});
    const address = nextAddress();
    for (let i = 0; i < 5; i++) {
      const res = await login(u.email, `wrong-${i}`, address);
      expect(res.statusCode).toBe(401);
    }
    const limited = await login(u.email, u.password, address);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(limited.json().error.message).toContain(String(retryAfter));
    // The limit is per account: another account from the same address still logs in.
    const other = await hub.user({});
    expect((await login(other.email, other.password, address)).statusCode).toBe(200);
    // And the email is compared case-insensitively, so changing its case does not reset the count.
    expect((await login(u.email.toUpperCase(), u.password, address)).statusCode).toBe(429);
  });

  it('a successful login clears the account counter', async () => {
    const u = await hub.user({});
    const address = nextAddress();
    for (let i = 0; i < 4; i++) expect((await login(u.email, 'wrong', address)).statusCode).toBe(401);
    expect((await login(u.email, u.password, address)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(u.email, 'wrong', address)).statusCode).toBe(401);
    expect((await login(u.email, u.password, address)).statusCode).toBe(200);
  });
});

describe('logout', () => {
  it('revokes the bearer token used and clears the cookie', async () => {
    const u = await hub.user({});
    const res = await hub.call(u.token, 'POST', '/api/v1/auth/logout');
    expect(res.statusCode).toBe(204);
    const cleared = sessionCookie(res.headers['set-cookie']);
    expect(cleared).toMatch(/^drm_session=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
    const after = await me({ authorization: `Bearer ${u.token}` });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('revokes a cookie session, and leaves the user’s other sessions alone', async () => {
    const u = await hub.user({});
    const second = (await login(u.email, u.password, nextAddress())).json().token as string;
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { drm_session: second },
    });
    expect(res.statusCode).toBe(204);
    expect(
      (await hub.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { drm_session: second } }))
        .statusCode,
    ).toBe(401);
    expect((await me({ authorization: `Bearer ${u.token}` })).statusCode).toBe(200);
  });

  it('needs a session', async () => {
    expect((await hub.call(null, 'POST', '/api/v1/auth/logout')).statusCode).toBe(401);
  });
});
