import type { Queryable } from '../../db/types.js';
import type { Cursor } from '../../lib/paging.js';
import { cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: 'admin' | 'operator' | 'viewer';
  createdAt: Date;
}

const SELECT = `SELECT u.id AS "userId", u.email, u.name, m.role, m.created_at AS "createdAt"
  FROM memberships m JOIN users u ON u.id = m.user_id`;

export async function listMembers(
  q: Queryable,
  f: { cursor: Cursor | null; limit: number },
): Promise<Listed<MemberRow>[]> {
  const params: unknown[] = [];
  const where = `TRUE${cursorClause(f.cursor, 'm.created_at', 'm.user_id', params)}`;
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<MemberRow>>(
    `${SELECT.replace('SELECT ', `SELECT ${cursorAt('m.created_at')}, `)} WHERE ${where} ORDER BY m.created_at DESC, m.user_id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getMember(q: Queryable, userId: string): Promise<MemberRow | null> {
  const { rows } = await q.query<MemberRow>(`${SELECT} WHERE m.user_id = $1`, [userId]);
  return rows[0] ?? null;
}

export async function insertUser(
  q: Queryable,
  u: { email: string; name: string; passwordHash: string },
): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    'INSERT INTO users (id, email, name, password_hash) VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id',
    [u.email, u.name, u.passwordHash],
  );
  return rows[0]!.id;
}

/**
 * Makes the user a member with `role` unless they are one already (then their role stays);
 * returns the role they hold. Safe against a concurrent join of the same user.
 */
export async function joinTenant(
  q: Queryable,
  tenantId: string,
  userId: string,
  role: string,
): Promise<string> {
  await q.query(
    'INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, user_id) DO NOTHING',
    [tenantId, userId, role],
  );
  const { rows } = await q.query<{ role: string }>(
    'SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2',
    [tenantId, userId],
  );
  return rows[0]!.role;
}

export async function setRole(q: Queryable, userId: string, role: string): Promise<boolean> {
  const { rowCount } = await q.query('UPDATE memberships SET role = $2 WHERE user_id = $1', [userId, role]);
  return rowCount > 0;
}

export async function deleteMembership(q: Queryable, userId: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM memberships WHERE user_id = $1', [userId]);
  return rowCount > 0;
}

/** Admins of the tenant in context, locked so two concurrent demotions cannot both pass the check. */
export async function lockAdmins(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ userId: string }>(
    `SELECT user_id AS "userId" FROM memberships WHERE role = 'admin' FOR UPDATE`,
  );
  return rows.map((r) => r.userId);
}
