import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TenantContext } from '../../db/types.js';
import { Errors, routeNotFound } from '../../errors.js';
import { currentUser } from '../../plugins/auth.js';

export type Role = 'admin' | 'operator' | 'viewer';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TenantAccess {
  tenantId: string;
  userId: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    tenantAccess: TenantAccess | null;
  }
}

export const TENANT_PREFIX = '/api/v1/tenants/:tenantId';

/**
 * Registers tenant-owned feature routes under `/api/v1/tenants/:tenantId`. Before anything
 * else (before body validation), the caller's role in that tenant is looked up; no role
 * answers 404, exactly as for a tenant that does not exist, so ids never leak.
 */
export function registerTenantScope(app: FastifyInstance, features: readonly FastifyPluginAsync[]): void {
  app.register(
    async (scoped) => {
      scoped.decorateRequest('tenantAccess', null);
      scoped.addHook('onRequest', async (req) => {
        const user = currentUser(req);
        const tenantId = (req.params as { tenantId?: string }).tenantId ?? '';
        if (!UUID.test(tenantId)) throw new Errors.NOT_FOUND('Tenant');
        const role = await scoped.db.withTenant({ tenantId, userId: user.userId }, async (q) => {
          // tenant_id too, not RLS alone: a broken policy must not turn a role anywhere into a role here.
          const { rows } = await q.query<{ role: Role }>(
            'SELECT role FROM memberships WHERE user_id = $1 AND tenant_id = $2',
            [user.userId, tenantId],
          );
          return rows[0]?.role;
        });
        if (!role) throw new Errors.NOT_FOUND('Tenant');
        req.tenantAccess = { tenantId: tenantId.toLowerCase(), userId: user.userId, role };
      });
      for (const feature of features) await scoped.register(feature);
    },
    { prefix: TENANT_PREFIX },
  );
}

/** The caller's access to the tenant in the path; only valid inside the tenant scope. */
export function access(req: FastifyRequest): TenantAccess {
  if (!req.tenantAccess) throw new Errors.NOT_FOUND('Tenant');
  return req.tenantAccess;
}

/** The database context for the request: its tenant and its user. */
export function tenantCtx(req: FastifyRequest): TenantContext {
  const a = access(req);
  return { tenantId: a.tenantId, userId: a.userId };
}

/**
 * Throws unless the caller's role is at least `min` (viewer < operator < admin). The answer is
 * the 404 of a route that does not exist (`routeNotFound`): to a viewer, the API has no write
 * routes, as the dashboard shows it no write controls. `what` names the rule in the hub's log.
 */
export function requireRole(req: FastifyRequest, min: Role, what = `needs ${min}`): TenantAccess {
  const a = access(req);
  if (RANK[a.role] < RANK[min]) {
    req.log.info({ role: a.role, needs: min, rule: what }, 'refused: role too low; answered 404');
    throw routeNotFound(req);
  }
  return a;
}

export function roleAtLeast(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min];
}
