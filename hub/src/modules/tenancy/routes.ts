import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody, Tenant, TenantCreate, TenantUpdate, TenantMembership } from '@drm/protocol';
import { Errors, routeNotFound } from '../../errors.js';
import { iso } from '../../lib/paging.js';
import { currentUser } from '../../plugins/auth.js';
import { writeAudit } from '../audit/repo.js';
import { auditActor, auditRequest } from '../audit/actor.js';
import { listUserTenants } from '../auth/repo.js';
import * as repo from './repo.js';
import { access, requireRole } from './scope.js';

function toTenant(row: repo.TenantRow) {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    parentId: row.parentId,
    createdAt: iso(row.createdAt)!,
  };
}

/** The tenants a user may see, and MSP admins creating customer tenants. */
export const tenantRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Tenants the caller has a role in',
        response: { 200: z.object({ items: z.array(TenantMembership) }) },
      },
    },
    async (req) => {
      const user = currentUser(req);
      return { items: await app.db.asSystem((q) => listUserTenants(q, user.userId)) };
    },
  );

  r.post(
    '/api/v1/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Create a customer tenant under an MSP tenant (MSP admins)',
        body: TenantCreate,
        response: { 201: Tenant, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      const { parentId, name } = req.body;
      const tenant = await app.db.asSystem(async (q) => {
        const role = await repo.roleOf(q, parentId, user.userId);
        if (!role) throw new Errors.NOT_FOUND('Tenant');
        const parent = await repo.getTenant(q, parentId);
        if (!parent) throw new Errors.NOT_FOUND('Tenant');
        // Only admins of an MSP tenant create customer tenants; to others the route is not there.
        if (role !== 'admin') throw routeNotFound(req);
        if (parent.kind !== 'msp')
          throw new Errors.VALIDATION('customer tenants are created under an MSP tenant');
        const created = await repo.createCustomerTenant(q, { name, parentId, creatorId: user.userId });
        const actor = auditActor(req);
        await writeAudit(q, parentId, {
          ...actor,
          action: 'tenant.create',
          targetType: 'tenant',
          targetId: created.id,
          details: { name },
        });
        await writeAudit(q, created.id, {
          ...actor,
          action: 'tenant.create',
          targetType: 'tenant',
          targetId: created.id,
          details: { name, parentId },
        });
        return created;
      });
      reply.code(201);
      return toTenant(tenant);
    },
  );
};

/** GET and PATCH of the tenant in the path (inside the tenant scope). */
export const tenantSelfRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/',
    {
      schema: {
        tags: ['tenants'],
        summary: 'One tenant',
        response: { 200: Tenant.extend({ role: TenantMembership.shape.role }) },
      },
    },
    async (req) => {
      const a = access(req);
      const row = await app.db.withTenant(a, (q) => repo.getTenant(q, a.tenantId));
      if (!row) throw new Errors.NOT_FOUND('Tenant');
      return { ...toTenant(row), role: a.role };
    },
  );
  r.patch(
    '/',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Rename a tenant (admins)',
        body: TenantUpdate,
        response: { 200: Tenant },
      },
    },
    async (req) => {
      const a = requireRole(req, 'admin');
      const row = await app.db.withTenant(a, async (q) => {
        const updated = await repo.renameTenant(q, a.tenantId, req.body.name);
        await auditRequest(q, req, {
          action: 'tenant.update',
          targetType: 'tenant',
          targetId: a.tenantId,
          details: { name: req.body.name },
        });
        return updated;
      });
      if (!row) throw new Errors.NOT_FOUND('Tenant');
      return toTenant(row);
    },
  );
};
