/**
 * The database layer: one interface, two engines (a `pg` pool for a real PostgreSQL,
 * in-process PGlite for the embedded default). Both run the same migrations and the same
 * row-level-security policies.
 */

export interface QueryResult<R> {
  rows: R[];
  /** Rows affected by INSERT/UPDATE/DELETE, rows returned by SELECT. */
  rowCount: number;
}

/** Something that runs one SQL statement with positional parameters ($1, $2, …). */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

/**
 * What `asOwner` hands out: a `Queryable` that can also run a script of several statements
 * without parameters (the simple query protocol). Migrations only.
 */
export interface OwnerQueryable extends Queryable {
  exec(sql: string): Promise<void>;
}

export type DbEngine = 'postgres' | 'pglite';

export interface TenantContext {
  /** The tenant whose rows the transaction may see and write (RLS `app.tenant_id`). */
  tenantId: string;
  /** The acting user, for policies and audit (`app.user_id`); absent for agents and the hub itself. */
  userId?: string | undefined;
}

export interface Db {
  readonly engine: DbEngine;
  /**
   * Runs `fn` in one transaction as the row-level-security-bound role `drm_app`, with
   * `app.tenant_id` (and `app.user_id`) set for that transaction only. Every query on
   * tenant-owned data goes through here.
   */
  withTenant<T>(ctx: TenantContext | string, fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one transaction as `drm_system`, the role that may read across tenants.
   * Only for what has no tenant yet: login and token lookup, enrollment, broker
   * authentication, tenant creation. Never reachable with a tenant id from a request path.
   */
  asSystem<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction as the connecting role. Migrations and tests only. */
  asOwner<T>(fn: (q: OwnerQueryable) => Promise<T>): Promise<T>;
  /** Cheap liveness check used by `/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
