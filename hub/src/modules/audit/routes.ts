import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuditEntry, ErrorBody, PageQuery, pageOf } from '@drm/protocol';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { requireRole } from '../tenancy/scope.js';
import { type AuditRow, listAudit } from './repo.js';

const AuditQuery = PageQuery.extend({
  action: z.string().trim().max(100).optional(),
  actorUserId: z.uuid().optional(),
});

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: iso(row.at)!,
    actorUserId: row.actorUserId,
    actorKind: row.actorKind as AuditEntry['actorKind'],
    actorEmail: row.actorEmail ?? undefined,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    details: row.details ?? {},
  };
}

/** The audit log of every write in a tenant, newest first (admins). */
export const auditRoutes: FastifyPluginAsync = async (app) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit log (admins)',
        querystring: AuditQuery,
        response: { 200: pageOf(AuditEntry), 404: ErrorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'admin', 'the audit log is for admins');
      const cursor = decodeCursor(req.query.cursor);
      const rows = await app.db.withTenant(a, (q) =>
        listAudit(q, {
          cursor,
          limit: req.query.limit,
          action: req.query.action,
          actorUserId: req.query.actorUserId,
        }),
      );
      return pageFrom(rows, req.query.limit, (e) => ({ at: e.cursorAt, id: e.id }), toEntry);
    },
  );
};
