import type { Queryable } from '../../db/types.js';

export interface LoginRow {
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  disabled: boolean;
}

export interface ResolvedToken {
  tokenId: string;
  kind: 'session' | 'api';
  userId: string;
  email: string;
  name: string;
  lastUsedAt: Date | null;
}

export interface UserTenantRow {
  id: string;
  name: string;
  kind: 'msp' | 'customer';
  parentId: string | null;
  role: 'admin' | 'operator' | 'viewer';
}

export interface ApiTokenRow {
  id: string;
  name: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export async function findUserForLogin(q: Queryable, email: string): Promise<LoginRow | null> {
  const { rows } = await q.query<LoginRow>(
    `SELECT id, email, name, password_hash AS "passwordHash", disabled_at IS NOT NULL AS disabled
       FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  return rows[0] ?? null;
}

export async function insertToken(
  q: Queryable,
  t: { userId: string; kind: 'session' | 'api'; name: string; tokenHash: Buffer; expiresAt: Date | null },
): Promise<{ id: string; createdAt: Date }> {
  const { rows } = await q.query<{ id: string; createdAt: Date }>(
    `INSERT INTO auth_tokens (id, user_id, kind, name, token_hash, expires_at)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5) RETURNING id, created_at AS "createdAt"`,
    [t.userId, t.kind, t.name, t.tokenHash, t.expiresAt],
  );
  return rows[0]!;
}

export async function resolveToken(q: Queryable, tokenHash: Buffer): Promise<ResolvedToken | null> {
  const { rows } = await q.query<ResolvedToken>(
    `SELECT t.id AS "tokenId", t.kind, u.id AS "userId", u.email, u.name, t.last_used_at AS "lastUsedAt"
       FROM auth_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL
        AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.disabled_at IS NULL`,
    [tokenHash],
  );
  return rows[0] ?? null;
}

export async function touchToken(q: Queryable, tokenId: string): Promise<void> {
  await q.query('UPDATE auth_tokens SET last_used_at = now() WHERE id = $1', [tokenId]);
}

export async function recordLogin(q: Queryable, userId: string): Promise<void> {
  await q.query('UPDATE users SET last_login_at = now() WHERE id = $1', [userId]);
}

/** Revokes one of the user's own tokens; false when there is no such live token. */
export async function revokeToken(q: Queryable, userId: string, tokenId: string): Promise<boolean> {
  const { rowCount } = await q.query(
    'UPDATE auth_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
    [tokenId, userId],
  );
  return rowCount > 0;
}

export async function listApiTokens(q: Queryable, userId: string): Promise<ApiTokenRow[]> {
  const { rows } = await q.query<ApiTokenRow>(
    `SELECT id, name, created_at AS "createdAt", expires_at AS "expiresAt", last_used_at AS "lastUsedAt"
       FROM auth_tokens
      WHERE user_id = $1 AND kind = 'api' AND revoked_at IS NULL
        AND (expires_at IS NULL OR expires_at > now())
      ORDER BY created_at DESC`,
    [userId],
  );
  return rows;
}

export async function listUserTenants(q: Queryable, userId: string): Promise<UserTenantRow[]> {
  const { rows } = await q.query<UserTenantRow>(
    `SELECT t.id, t.name, t.kind, t.parent_id AS "parentId", m.role
       FROM memberships m JOIN tenants t ON t.id = m.tenant_id
      WHERE m.user_id = $1
      ORDER BY t.kind DESC, lower(t.name)`,
    [userId],
  );
  return rows;
}
