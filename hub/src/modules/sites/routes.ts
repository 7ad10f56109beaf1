import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody, PageQuery, pageOf, Site, SiteCreate, SiteUpdate } from '@drm/protocol';
import { Errors } from '../../errors.js';
import { NoContent, TenantIdParams } from '../../lib/schemas.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { auditRequest } from '../audit/actor.js';
import { access, requireRole } from '../tenancy/scope.js';
import * as repo from './repo.js';

const SiteQuery = PageQuery.extend({ q: z.string().trim().max(200).optional() });
const TAGS = ['sites'];

function toSite(row: repo.SiteRow): Site {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    description: row.description ?? '',
    address: row.address ?? '',
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/** Sites: the customer locations where agents and devices live. Admins write, everyone reads. */
export const siteRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/sites',
    {
      schema: { tags: TAGS, summary: 'List sites', querystring: SiteQuery, response: { 200: pageOf(Site) } },
    },
    async (req) => {
      const a = access(req);
      const cursor = decodeCursor(req.query.cursor);
      const rows = await app.db.withTenant(a, (q) =>
        repo.listSites(q, { cursor, limit: req.query.limit, q: req.query.q }),
      );
      return pageFrom(rows, req.query.limit, (s) => ({ at: s.cursorAt, id: s.id }), toSite);
    },
  );

  r.post(
    '/sites',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a site (admins)',
        body: SiteCreate,
        response: { 201: Site, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'admin');
      const row = await app.db.withTenant(a, async (q) => {
        const site = await repo.insertSite(q, a.tenantId, req.body);
        await auditRequest(q, req, {
          action: 'site.create',
          targetType: 'site',
          targetId: site.id,
          details: { name: site.name },
        });
        return site;
      });
      reply.code(201);
      return toSite(row);
    },
  );

  r.get(
    '/sites/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One site',
        params: TenantIdParams,
        response: { 200: Site, 404: ErrorBody },
      },
    },
    async (req) => {
      const row = await app.db.withTenant(access(req), (q) => repo.getSite(q, req.params.id));
      if (!row) throw new Errors.NOT_FOUND('Site');
      return toSite(row);
    },
  );

  r.patch(
    '/sites/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Change a site (admins)',
        params: TenantIdParams,
        body: SiteUpdate,
        response: { 200: Site, 404: ErrorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'admin');
      const row = await app.db.withTenant(a, async (q) => {
        const site = await repo.updateSite(q, req.params.id, req.body);
        if (site)
          await auditRequest(q, req, {
            action: 'site.update',
            targetType: 'site',
            targetId: site.id,
            details: { ...req.body },
          });
        return site;
      });
      if (!row) throw new Errors.NOT_FOUND('Site');
      return toSite(row);
    },
  );

  r.delete(
    '/sites/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete a site with no agents or devices left (admins)',
        params: TenantIdParams,
        response: { 204: NoContent, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'admin');
      const deleted = await app.db.withTenant(a, async (q) => {
        const ok = await repo.deleteSite(q, req.params.id);
        if (ok)
          await auditRequest(q, req, { action: 'site.delete', targetType: 'site', targetId: req.params.id });
        return ok;
      });
      if (!deleted) throw new Errors.NOT_FOUND('Site');
      return reply.code(204).send(null);
    },
  );
};
