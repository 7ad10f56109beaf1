import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVITATION_FAILURE_LIMIT } from '../../src/modules/users/invitations.js';
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
  const tenantId = await hub.tenant(`invite-${randomUUID().slice(0, 8)}`);
  const admin = await hub.user({ [tenantId]: 'admin' });
  return { tenantId, admin, base: `/api/v1/tenants/${tenantId}` };
}

const email = () => `invitee-${randomUUID().slice(0, 8)}@example.test`;

async function invite(t: Team, body: Record<string, unknown>) {
  const res = await hub.call(t.admin.token, 'POST', `${t.base}/invitations`, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; token: string; email: string; role: string; state: string };
}

const lookup = (token: string) => hub.call(null, 'POST', '/api/v1/invitations/lookup', { token });
const signup = (token: string, password = 'a brand new password') =>
  hub.call(null, 'POST', '/api/v1/invitations/signup', { token, name: 'New Person', password });

async function tenantsOf(token: string) {
  return (await hub.call(token, 'GET', '/api/v1/tenants')).json().items as { id: string; role: string }[];
}

describe('invitations', () => {
  it('an admin invites an email; the answer is the same whether or not an account has it', async () => {
    const t = await team();
    const existing = await hub.user({});
    const forNew = await invite(t, { email: email(), role: 'viewer' });
    const forExisting = await invite(t, { email: existing.email.toUpperCase(), role: 'operator' });
    for (const i of [forNew, forExisting]) {
      expect(Object.keys(i).sort()).toEqual(
        ['acceptedAt', 'createdAt', 'email', 'expiresAt', 'id', 'revokedAt', 'role', 'state', 'token'].sort(),
      );
      expect(i.state).toBe('pending');
      expect(i.token).toMatch(/^drmi_/);
    }
    expect(forExisting.email).toBe(existing.email.toLowerCase());
    // Inviting adds nobody: the existing account is in no tenant until it accepts.
    expect(await tenantsOf(existing.token)).toEqual([]);
    const list = await hub.call(t.admin.token, 'GET', `${t.base}/invitations?state=pending`);
    expect(
      list
        .json()
        .items.map((i: { id: string }) => i.id)
        .sort(),
    ).toEqual([forNew.id, forExisting.id].sort());
    expect(list.body).not.toContain(forNew.token);
  });

  it('a new person signs up with the token and is a member with the invited role; the token is then used', async () => {
    const t = await team();
    const address = email();
    const i = await invite(t, { email: address, role: 'operator' });
    const preview = await lookup(i.token);
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toEqual({
      tenantId: t.tenantId,
      tenantName: expect.stringMatching(/^invite-/),
      email: address,
      role: 'operator',
      expiresAt: expect.any(String),
      account: 'new',
    });
    const res = await signup(i.token);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ tenantId: t.tenantId, role: 'operator', email: address });
    const login = await hub.call(null, 'POST', '/api/v1/auth/login', {
      email: address,
      password: 'a brand new password',
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().tenants).toEqual([expect.objectContaining({ id: t.tenantId, role: 'operator' })]);

    for (const again of [await lookup(i.token), await signup(i.token)]) {
      expect(again.statusCode).toBe(404);
      expect(again.json().error).toEqual({
        code: 'INVITATION_INVALID',
        message: 'This invitation was already accepted',
      });
    }
    const listed = (await hub.call(t.admin.token, 'GET', `${t.base}/invitations`)).json().items;
    expect(listed).toEqual([
      expect.objectContaining({ id: i.id, state: 'accepted', acceptedAt: expect.any(String) }),
    ]);
    const audit = (await hub.call(t.admin.token, 'GET', `${t.base}/audit?action=invitation.accept`)).json()
      .items;
    expect(audit).toEqual([
      expect.objectContaining({
        targetId: i.id,
        details: { email: address, role: 'operator', how: 'signup' },
      }),
    ]);
    expect(JSON.stringify(audit)).not.toContain('a brand new password');
  });

  it('an existing account accepts only when logged in as itself; nobody else can take the invitation', async () => {
    const t = await team();
    const invitee = await hub.user({});
    const other = await hub.user({});
    const i = await invite(t, { email: invitee.email, role: 'viewer' });
    expect((await lookup(i.token)).json().account).toBe('existing');
    // Signing up would take over the account: refused, and the password stays the owner's.
    const takeover = await signup(i.token, 'an attacker chosen password');
    expect(takeover.statusCode).toBe(409);
    expect(
      (
        await hub.call(null, 'POST', '/api/v1/auth/login', {
          email: invitee.email,
          password: 'an attacker chosen password',
        })
      ).statusCode,
    ).toBe(401);
    expect((await hub.call(null, 'POST', '/api/v1/invitations/accept', { token: i.token })).statusCode).toBe(
      401,
    );
    const wrong = await hub.call(other.token, 'POST', '/api/v1/invitations/accept', { token: i.token });
    expect(wrong.statusCode).toBe(409);
    expect(await tenantsOf(other.token)).toEqual([]);

    const ok = await hub.call(invitee.token, 'POST', '/api/v1/invitations/accept', { token: i.token });
    expect(ok.statusCode).toBe(200);
    expect(await tenantsOf(invitee.token)).toEqual([
      expect.objectContaining({ id: t.tenantId, role: 'viewer' }),
    ]);
  });

  it('a member invited again keeps the role they have', async () => {
    const t = await team();
    const member = await hub.user({ [t.tenantId]: 'operator' });
    const i = await invite(t, { email: member.email, role: 'admin' });
    const res = await hub.call(member.token, 'POST', '/api/v1/invitations/accept', { token: i.token });
    expect(res.statusCode).toBe(200);
    // The answer and the audit log say the role held, not the one offered.
    expect(res.json()).toMatchObject({ tenantId: t.tenantId, role: 'operator' });
    expect(await tenantsOf(member.token)).toEqual([
      expect.objectContaining({ id: t.tenantId, role: 'operator' }),
    ]);
    const audit = await hub.call(t.admin.token, 'GET', `${t.base}/audit?action=invitation.accept`);
    expect(audit.json().items[0]?.details).toMatchObject({ role: 'operator', invitedRole: 'admin' });
  });

  it('the invitations of an admin who is demoted or removed are void', async () => {
    const t = await team();
    const second = await hub.user({ [t.tenantId]: 'admin' });
    const byDemoted = await invite({ ...t, admin: second }, { email: email(), role: 'admin' });
    const third = await hub.user({ [t.tenantId]: 'admin' });
    const byRemoved = await invite({ ...t, admin: third }, { email: email(), role: 'admin' });
    const byAdmin = await invite(t, { email: email(), role: 'viewer' });
    const demote = await hub.call(t.admin.token, 'PATCH', `${t.base}/users/${second.id}`, {
      role: 'operator',
    });
    expect(demote.statusCode).toBe(200);
    const remove = await hub.call(t.admin.token, 'DELETE', `${t.base}/users/${third.id}`);
    expect(remove.statusCode).toBe(204);
    for (const i of [byDemoted, byRemoved]) {
      expect((await signup(i.token)).json().error).toMatchObject({
        code: 'INVITATION_INVALID',
        message: expect.stringMatching(/was revoked/),
      });
    }
    const list = (await hub.call(t.admin.token, 'GET', `${t.base}/invitations`)).json().items as {
      id: string;
      state: string;
    }[];
    expect(Object.fromEntries(list.map((i) => [i.id, i.state]))).toEqual({
      [byDemoted.id]: 'revoked',
      [byRemoved.id]: 'revoked',
      [byAdmin.id]: 'pending',
    });
    // However the role went (here, straight in the database), an ex-admin's invitation does not work.
    const another = await invite(t, { email: email(), role: 'admin' });
    await hub.db.asOwner((q) =>
      q.query(`UPDATE memberships SET role = 'viewer' WHERE tenant_id = $1 AND user_id = $2`, [
        t.tenantId,
        t.admin.id,
      ]),
    );
    const refused = await lookup(another.token);
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error.message).toMatch(/no longer an admin of this tenant/);
  });

  it('a revoked or expired invitation cannot be used; revoking twice says why', async () => {
    const t = await team();
    const revoked = await invite(t, { email: email(), role: 'viewer' });
    expect((await hub.call(t.admin.token, 'DELETE', `${t.base}/invitations/${revoked.id}`)).statusCode).toBe(
      204,
    );
    expect((await lookup(revoked.token)).json().error.message).toBe('This invitation was revoked');
    expect((await signup(revoked.token)).statusCode).toBe(404);
    const twice = await hub.call(t.admin.token, 'DELETE', `${t.base}/invitations/${revoked.id}`);
    expect(twice.statusCode).toBe(409);

    const expired = await invite(t, { email: email(), role: 'viewer', ttlHours: 1 });
    await hub.db.asOwner((q) =>
      q.query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]),
    );
    expect((await lookup(expired.token)).json().error.message).toBe('This invitation has expired');
    expect((await signup(expired.token)).statusCode).toBe(404);
    expect((await lookup(`drmi_${randomUUID()}`)).json().error).toEqual({
      code: 'INVITATION_INVALID',
      message: 'This invitation is unknown',
    });
    const states = (await hub.call(t.admin.token, 'GET', `${t.base}/invitations`))
      .json()
      .items.map((i: { id: string; state: string }) => [i.id, i.state]);
    expect(states.sort()).toEqual(
      [
        [expired.id, 'expired'],
        [revoked.id, 'revoked'],
      ].sort(),
    );
  });

  it('refuses a bad email, a bad role and a short password', async () => {
    const t = await team();
    for (const body of [
      { email: 'not-an-email', role: 'viewer' },
      { email: email(), role: 'owner' },
      { email: email(), role: 'viewer', ttlHours: 0 },
    ]) {
      expect((await hub.call(t.admin.token, 'POST', `${t.base}/invitations`, body)).statusCode).toBe(400);
    }
    const i = await invite(t, { email: email(), role: 'viewer' });
    const short = await signup(i.token, 'short');
    expect(short.statusCode).toBe(400);
    expect((await lookup(i.token)).statusCode).toBe(200);
  });
  // Last: it leaves this address refused for the rest of the file.
  it('refuses an address that tried too many unusable tokens (429), signups included', async () => {
    let res = await lookup(`drmi_${randomUUID()}`);
    for (let n = 0; n <= INVITATION_FAILURE_LIMIT && res.statusCode !== 429; n++) {
      res = await lookup(`drmi_${randomUUID()}`);
    }
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const t = await team();
    const i = await invite(t, { email: email(), role: 'viewer' });
    expect((await signup(i.token)).statusCode).toBe(429);
  });
});
