import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  EnrollmentToken,
  EnrollmentTokenCreate,
  EnrollmentTokenCreated,
  EnrollmentTokenQuery,
  ErrorBody,
  pageOf,
} from '@drm/protocol';
import { Errors } from '../../errors.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { NoContent, TenantIdParams } from '../../lib/schemas.js';
import { hashToken, newToken } from '../../security/tokens.js';
import { auditRequest } from '../audit/actor.js';
import { getSite } from '../sites/repo.js';
import { requireRole } from '../tenancy/scope.js';
import * as repo from './repo.js';

const TAGS = ['enrollment'];

function toToken(row: repo.TokenRow): EnrollmentToken {
  return {
    id: row.id,
    siteId: row.siteId,
    expiresAt: iso(row.expiresAt)!,
    usedAt: iso(row.usedAt),
    revokedAt: iso(row.revokedAt),
    createdAt: iso(row.createdAt)!,
    state: row.state,
    agentId: row.agentId,
  };
}

/** Single-use enrollment tokens that let an agent join a site (admins). */
export const enrollmentTokenRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = (req: FastifyRequest) => requireRole(req, 'admin', 'enrollment tokens are for admins');

  r.get(
    '/enrollment-tokens',
    {
      schema: {
        tags: TAGS,
        summary: 'List enrollment tokens, newest first (admins; never their values)',
        querystring: EnrollmentTokenQuery,
        response: { 200: pageOf(EnrollmentToken), 404: ErrorBody },
      },
    },
    async (req) => {
      const a = admin(req);
      const { limit, siteId, state } = req.query;
      const cursor = decodeCursor(req.query.cursor);
      const rows = await app.db.withTenant(a, (q) => repo.listTokens(q, { cursor, limit, siteId, state }));
      return pageFrom(rows, limit, (t) => ({ at: t.cursorAt, id: t.id }), toToken);
    },
  );

  r.post(
    '/enrollment-tokens',
    {
      schema: {
        tags: TAGS,
        summary: 'Create an enrollment token for a site; its value is shown once (admins)',
        body: EnrollmentTokenCreate,
        response: { 201: EnrollmentTokenCreated, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      const { siteId, ttlMinutes } = req.body;
      const token = newToken('enroll');
      const row = await app.db.withTenant(a, async (q) => {
        if (!(await getSite(q, siteId))) throw new Errors.NOT_FOUND('Site');
        const created = await repo.insertToken(q, a.tenantId, {
          siteId,
          tokenHash: hashToken(token),
          ttlMinutes,
          createdBy: a.userId,
        });
        const details = { siteId, ttlMinutes, expiresAt: iso(created.expiresAt) };
        await auditRequest(q, req, {
          action: 'enrollment-token.create',
          targetType: 'enrollment-token',
          targetId: created.id,
          details,
        });
        return created;
      });
      reply.code(201);
      return { ...toToken(row), token };
    },
  );

  r.delete(
    '/enrollment-tokens/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Revoke an unused enrollment token (admins)',
        description:
          'Revoking a revoked token changes nothing and answers 204 again; a used token answers 409.',
        params: TenantIdParams,
        response: { 204: NoContent, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      await app.db.withTenant(a, async (q) => {
        const revoked = await repo.revokeToken(q, req.params.id);
        if (revoked) {
          await auditRequest(q, req, {
            action: 'enrollment-token.revoke',
            targetType: 'enrollment-token',
            targetId: revoked.id,
            details: { siteId: revoked.siteId },
          });
          return;
        }
        const current = await repo.getToken(q, req.params.id);
        if (!current) throw new Errors.NOT_FOUND('Enrollment token');
        if (current.usedAt)
          throw new Errors.CONFLICT('This enrollment token has already been used; revoke its agent instead');
      });
      return reply.code(204).send(null);
    },
  );
};
