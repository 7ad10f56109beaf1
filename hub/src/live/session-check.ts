import type { Db } from '../db/types.js';
import { listUserTenants, resolveToken } from '../modules/auth/repo.js';

export interface SessionState {
  /** The token was revoked or expired, or the user disabled. */
  ended: boolean;
  /** Tenants among those asked about where the user no longer has a role. */
  lostTenants: string[];
}

/**
 * Whether a long-lived stream may go on: its token still resolves (logout, revocation, expiry
 * and a disabled user end it) and the user still has a role in each tenant it watches.
 * Login-time lookups, so the system context, as the auth hook does.
 */
export async function checkSession(
  db: Pick<Db, 'asSystem'>,
  tokenHash: Buffer,
  tenants: Iterable<string>,
): Promise<SessionState> {
  return db.asSystem(async (q) => {
    const token = await resolveToken(q, tokenHash);
    if (!token) return { ended: true, lostTenants: [] };
    const have = new Set((await listUserTenants(q, token.userId)).map((t) => t.id.toLowerCase()));
    return { ended: false, lostTenants: [...tenants].filter((t) => !have.has(t.toLowerCase())) };
  });
}
