import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody, Member, MemberUpdate, PageQuery, pageOf } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { Errors } from '../../errors.js';
import { NoContent } from '../../lib/schemas.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { auditRequest } from '../audit/actor.js';
import { requireRole } from '../tenancy/scope.js';
import { revokeInvitationsBy } from './invitations-repo.js';
import * as repo from './repo.js';

const UserParams = z.object({ tenantId: z.string(), userId: z.uuid() });
const TAGS = ['users'];

function toMember(row: repo.MemberRow): Member {
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: iso(row.createdAt)!,
  };
}

/** Refuses a change that would leave the tenant without an admin. */
async function keepAnAdmin(q: Queryable, userId: string): Promise<void> {
  const admins = await repo.lockAdmins(q);
  if (admins.length === 1 && admins[0] === userId) {
    throw new Errors.CONFLICT('A tenant keeps at least one admin; make someone else admin first');
  }
}

/** Users and their roles in a tenant (admins). */
export const userRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = (req: FastifyRequest) => requireRole(req, 'admin', 'managing users is for admins');

  r.get(
    '/users',
    {
      schema: {
        tags: TAGS,
        summary: 'Members of the tenant (admins)',
        querystring: PageQuery,
        response: { 200: pageOf(Member), 404: ErrorBody },
      },
    },
    async (req) => {
      const a = admin(req);
      const cursor = decodeCursor(req.query.cursor);
      const rows = await app.db.withTenant(a, (q) => repo.listMembers(q, { cursor, limit: req.query.limit }));
      return pageFrom(rows, req.query.limit, (m) => ({ at: m.cursorAt, id: m.userId }), toMember);
    },
  );

  r.get(
    '/users/:userId',
    {
      schema: {
        tags: TAGS,
        summary: 'One member (admins)',
        params: UserParams,
        response: { 200: Member, 404: ErrorBody },
      },
    },
    async (req) => {
      const row = await app.db.withTenant(admin(req), (q) => repo.getMember(q, req.params.userId));
      if (!row) throw new Errors.NOT_FOUND('User');
      return toMember(row);
    },
  );

  r.patch(
    '/users/:userId',
    {
      schema: {
        tags: TAGS,
        summary: "Change a member's role (admins)",
        params: UserParams,
        body: MemberUpdate,
        response: { 200: Member, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const a = admin(req);
      const row = await app.db.withTenant(a, async (q) => {
        if (req.body.role !== 'admin') await keepAnAdmin(q, req.params.userId);
        if (!(await repo.setRole(q, req.params.userId, req.body.role))) return null;
        // Invitations a former admin made are void: they are revoked with the role.
        const revoked = req.body.role === 'admin' ? 0 : await revokeInvitationsBy(q, req.params.userId);
        await auditRequest(q, req, {
          action: 'member.update',
          targetType: 'user',
          targetId: req.params.userId,
          details: { role: req.body.role, ...(revoked > 0 && { invitationsRevoked: revoked }) },
        });
        return repo.getMember(q, req.params.userId);
      });
      if (!row) throw new Errors.NOT_FOUND('User');
      return toMember(row);
    },
  );

  r.delete(
    '/users/:userId',
    {
      schema: {
        tags: TAGS,
        summary: 'Remove a member from the tenant (admins)',
        params: UserParams,
        response: { 204: NoContent, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      const removed = await app.db.withTenant(a, async (q) => {
        await keepAnAdmin(q, req.params.userId);
        const ok = await repo.deleteMembership(q, req.params.userId);
        if (ok) {
          const revoked = await revokeInvitationsBy(q, req.params.userId);
          await auditRequest(q, req, {
            action: 'member.remove',
            targetType: 'user',
            targetId: req.params.userId,
            ...(revoked > 0 && { details: { invitationsRevoked: revoked } }),
          });
        }
        return ok;
      });
      if (!removed) throw new Errors.NOT_FOUND('User');
      return reply.code(204).send(null);
    },
  );
};
