import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidContextError, NestedTransactionError } from './errors.js';
import type { TenantContext } from './types.js';

/** Who a transaction runs as. */
export type Scope =
  | { kind: 'tenant'; tenantId: string; userId: string | null }
  | { kind: 'system' }
  | { kind: 'owner' };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** Validates a `withTenant` argument; ids are lower-cased so policies compare like with like. */
export function tenantScope(ctx: TenantContext | string): Scope {
  const { tenantId, userId } = typeof ctx === 'string' ? { tenantId: ctx, userId: undefined } : ctx;
  if (!isUuid(tenantId)) throw new InvalidContextError('tenantId', tenantId);
  if (userId !== undefined && userId !== null && !isUuid(userId))
    throw new InvalidContextError('userId', userId);
  return { kind: 'tenant', tenantId: tenantId.toLowerCase(), userId: userId ? userId.toLowerCase() : null };
}

/**
 * The one statement that opens every transaction: the role and the RLS settings, all local
 * to the transaction (`set_config(…, true)` is `SET LOCAL`; setting `role` is `SET LOCAL
 * ROLE`), in a single round trip. Nothing survives COMMIT, so a pooled connection carries no
 * tenant into its next transaction. The owner scope runs as the connecting role, unchanged.
 */
export function scopePreamble(scope: Scope): { sql: string; params: string[] } | null {
  const sql =
    "SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true), " +
    "set_config('app.user_id', $3, true)";
  switch (scope.kind) {
    case 'tenant':
      return { sql, params: ['drm_app', scope.tenantId, scope.userId ?? ''] };
    case 'system':
      return { sql, params: ['drm_system', '', ''] };
    case 'owner':
      return null;
  }
}

/**
 * `BEGIN` and the scope's preamble as one simple-protocol string, for a client that can send
 * both in one round trip (every transaction of the hub on PostgreSQL opens this way). The
 * values go in as literals, so each is checked again here: the role is one of ours and the
 * ids are UUIDs, which hold no quote.
 */
export function beginWithScope(scope: Scope): string {
  const preamble = scopePreamble(scope);
  if (!preamble) return 'BEGIN';
  const [role, tenantId, userId] = preamble.params as [string, string, string];
  if (role !== 'drm_app' && role !== 'drm_system') throw new Error(`unexpected role ${role}`);
  if (tenantId !== '' && !isUuid(tenantId)) throw new InvalidContextError('tenantId', tenantId);
  if (userId !== '' && !isUuid(userId)) throw new InvalidContextError('userId', userId);
  return (
    `BEGIN; SELECT set_config('role', '${role}', true), set_config('app.tenant_id', '${tenantId}', true), ` +
    `set_config('app.user_id', '${userId}', true)`
  );
}

interface ActiveTransaction {
  open: boolean;
}

const current = new AsyncLocalStorage<ActiveTransaction>();

/** Throws if the calling async flow is inside a transaction that has not finished yet. */
export function assertNotNested(): void {
  if (current.getStore()?.open) throw new NestedTransactionError();
}

/**
 * Runs the caller's function marked as inside a transaction. Work it leaves behind (a
 * promise it did not await) may start its own transaction once this one has finished.
 */
export async function runMarked<T>(fn: () => Promise<T>): Promise<T> {
  const marker: ActiveTransaction = { open: true };
  try {
    return await current.run(marker, fn);
  } finally {
    marker.open = false;
  }
}
