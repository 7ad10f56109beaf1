import type { EnrollmentTokenState } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

export interface TokenRow {
  id: string;
  siteId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  agentId: string | null;
  state: EnrollmentTokenState;
}

// A used token stays `used` even once expired or if a revoke raced it; see EnrollmentTokenState.
const STATE = `CASE WHEN used_at IS NOT NULL THEN 'used'
  WHEN revoked_at IS NOT NULL THEN 'revoked'
  WHEN expires_at <= now() THEN 'expired'
  ELSE 'active' END`;

const COLUMNS = `id, site_id AS "siteId", expires_at AS "expiresAt", used_at AS "usedAt",
  revoked_at AS "revokedAt", created_at AS "createdAt", agent_id AS "agentId", ${STATE} AS state`;

export async function listTokens(
  q: Queryable,
  f: {
    cursor: Cursor | null;
    limit: number;
    siteId?: string | undefined;
    state?: EnrollmentTokenState | undefined;
  },
): Promise<Listed<TokenRow>[]> {
  const params: unknown[] = [];
  let where = 'TRUE';
  if (f.siteId) {
    params.push(f.siteId);
    where += ` AND site_id = $${params.length}`;
  }
  if (f.state) {
    params.push(f.state);
    where += ` AND (${STATE}) = $${params.length}`;
  }
  where += cursorClause(f.cursor, 'created_at', 'id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<TokenRow>>(
    `SELECT ${COLUMNS}, ${cursorAt('created_at')} FROM enrollment_tokens WHERE ${where}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getToken(q: Queryable, id: string): Promise<TokenRow | null> {
  const { rows } = await q.query<TokenRow>(`SELECT ${COLUMNS} FROM enrollment_tokens WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Stores a new token by its hash only; it expires `ttlMinutes` from the database's now(). */
export async function insertToken(
  q: Queryable,
  tenantId: string,
  t: { siteId: string; tokenHash: Buffer; ttlMinutes: number; createdBy: string },
): Promise<TokenRow> {
  const { rows } = await q.query<TokenRow>(
    `INSERT INTO enrollment_tokens (tenant_id, id, site_id, token_hash, created_by, expires_at)
     VALUES ($1, gen_random_uuid(), $2, $3, $4, now() + make_interval(mins => $5::int))
     RETURNING ${COLUMNS}`,
    [tenantId, t.siteId, t.tokenHash, t.createdBy, t.ttlMinutes],
  );
  return rows[0]!;
}

/**
 * Revokes a token that is neither used nor revoked yet; null otherwise. The same row lock
 * as the enrollment's claim decides a race between the two: exactly one of them wins.
 */
export async function revokeToken(q: Queryable, id: string): Promise<TokenRow | null> {
  const { rows } = await q.query<TokenRow>(
    `UPDATE enrollment_tokens SET revoked_at = now()
      WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL
      RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ?? null;
}

// Enrollment, in the system context: the token is the only thing that names the tenant.

export interface Claim {
  tenantId: string;
  tokenId: string;
  siteId: string;
}

/**
 * Marks the token used if and only if it is still usable, in one statement: two concurrent
 * enrollments with one token serialise on the row lock, and the second finds `used_at` set.
 */
export async function claimToken(q: Queryable, tokenHash: Buffer): Promise<Claim | null> {
  const { rows } = await q.query<Claim>(
    `UPDATE enrollment_tokens SET used_at = now()
      WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
      RETURNING tenant_id AS "tenantId", id AS "tokenId", site_id AS "siteId"`,
    [tokenHash],
  );
  return rows[0] ?? null;
}

/** Why a token could not be claimed, worded to follow "Enrollment token …". */
export async function whyUnusable(q: Queryable, tokenHash: Buffer): Promise<string> {
  const { rows } = await q.query<{ used: boolean; revoked: boolean }>(
    `SELECT used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked
       FROM enrollment_tokens WHERE token_hash = $1`,
    [tokenHash],
  );
  const t = rows[0];
  if (!t) return 'is not valid';
  if (t.used) return 'has already been used';
  if (t.revoked) return 'has been revoked';
  return 'has expired';
}

/** Records which agent a token enrolled. */
export async function linkToken(
  q: Queryable,
  tenantId: string,
  tokenId: string,
  agentId: string,
): Promise<void> {
  await q.query('UPDATE enrollment_tokens SET agent_id = $3 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    tokenId,
    agentId,
  ]);
}
