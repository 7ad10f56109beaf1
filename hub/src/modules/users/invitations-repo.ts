import type { InvitationState, Role } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorAt, cursorClause, type Listed } from '../../lib/paging.js';

export interface InvitationRow {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  state: InvitationState;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

const STATE = `CASE WHEN accepted_at IS NOT NULL THEN 'accepted'
  WHEN revoked_at IS NOT NULL THEN 'revoked'
  WHEN expires_at <= now() THEN 'expired' ELSE 'pending' END`;

const COLUMNS = `id, tenant_id AS "tenantId", email, role, ${STATE} AS state, created_at AS "createdAt",
  expires_at AS "expiresAt", accepted_at AS "acceptedAt", revoked_at AS "revokedAt"`;

/** The tenant's invitations, newest first; only `state` ones when given. */
export async function listInvitations(
  q: Queryable,
  f: { cursor: Cursor | null; limit: number; state?: InvitationState | undefined },
): Promise<Listed<InvitationRow>[]> {
  const params: unknown[] = [];
  let where = 'TRUE';
  if (f.state) {
    params.push(f.state);
    where += ` AND ${STATE} = $${params.length}`;
  }
  where += cursorClause(f.cursor, 'created_at', 'id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<InvitationRow>>(
    `SELECT ${cursorAt('created_at')}, ${COLUMNS} FROM invitations WHERE ${where}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function insertInvitation(
  q: Queryable,
  i: {
    tenantId: string;
    email: string;
    role: Role;
    tokenHash: Buffer;
    invitedBy: string | null;
    ttlHours: number;
  },
): Promise<InvitationRow> {
  const { rows } = await q.query<InvitationRow>(
    `INSERT INTO invitations (tenant_id, id, email, role, token_hash, invited_by, expires_at)
     VALUES ($1, gen_random_uuid(), lower($2), $3, $4, $5, now() + make_interval(hours => $6))
     RETURNING ${COLUMNS}`,
    [i.tenantId, i.email, i.role, i.tokenHash, i.invitedBy, i.ttlHours],
  );
  return rows[0]!;
}

/** Revokes a pending invitation; null when there is none with that id that is still pending. */
export async function revokeInvitation(q: Queryable, id: string): Promise<InvitationRow | null> {
  const { rows } = await q.query<InvitationRow>(
    `UPDATE invitations SET revoked_at = now()
      WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
      RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ?? null;
}

/**
 * Revokes the pending invitations `userId` made in the tenant in context (they stopped being
 * an admin of it, or a member); returns how many.
 */
export async function revokeInvitationsBy(q: Queryable, userId: string): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE invitations SET revoked_at = now()
      WHERE invited_by = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()`,
    [userId],
  );
  return rowCount;
}

export async function getInvitation(q: Queryable, id: string): Promise<InvitationRow | null> {
  const { rows } = await q.query<InvitationRow>(`SELECT ${COLUMNS} FROM invitations WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export interface InvitationByToken extends InvitationRow {
  tenantName: string;
  /** The account that has the invitation's email, if any. */
  userId: string | null;
  /** Whoever made it is still an admin of the tenant (an invitation of a former admin is void). */
  inviterIsAdmin: boolean;
}

/**
 * System context: the invitation a token names, with its tenant's name and the account that has
 * its email; `lock` takes the invitation's row for an acceptance.
 */
export async function findByToken(
  q: Queryable,
  tokenHash: Buffer,
  lock = false,
): Promise<InvitationByToken | null> {
  const { rows } = await q.query<InvitationByToken>(
    `SELECT i.*, t.name AS "tenantName",
            (SELECT u.id FROM users u WHERE lower(u.email) = i.email) AS "userId",
            EXISTS (SELECT 1 FROM memberships m
                     WHERE m.tenant_id = i."tenantId" AND m.user_id = i.invited_by AND m.role = 'admin')
              AS "inviterIsAdmin"
       FROM (SELECT ${COLUMNS}, invited_by FROM invitations WHERE token_hash = $1${lock ? ' FOR UPDATE' : ''}) AS i
       JOIN tenants t ON t.id = i."tenantId"`,
    [tokenHash],
  );
  return rows[0] ?? null;
}

export async function markAccepted(
  q: Queryable,
  tenantId: string,
  id: string,
  userId: string,
): Promise<void> {
  await q.query(
    'UPDATE invitations SET accepted_at = now(), accepted_by = $3 WHERE tenant_id = $1 AND id = $2',
    [tenantId, id, userId],
  );
}
