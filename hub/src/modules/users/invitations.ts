import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  ErrorBody,
  Invitation,
  InvitationAccepted,
  InvitationCreate,
  InvitationCreated,
  InvitationPreview,
  InvitationSignup,
  InvitationState,
  InvitationToken,
  PageQuery,
  pageOf,
} from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { Errors } from '../../errors.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { NoContent, TenantIdParams } from '../../lib/schemas.js';
import { currentUser } from '../../plugins/auth.js';
import { hashPassword } from '../../security/passwords.js';
import { hashToken, newToken } from '../../security/tokens.js';
import { auditRequest } from '../audit/actor.js';
import { writeAudit } from '../audit/repo.js';
import { AttemptLimiter } from '../auth/rate-limit.js';
import { type Role, requireRole } from '../tenancy/scope.js';
import * as repo from './invitations-repo.js';
import { insertUser, joinTenant } from './repo.js';

const TAGS = ['users'];
const InvitationQuery = PageQuery.extend({ state: InvitationState.optional() });

function toInvitation(row: repo.InvitationRow): Invitation {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    state: row.state,
    createdAt: iso(row.createdAt)!,
    expiresAt: iso(row.expiresAt)!,
    acceptedAt: iso(row.acceptedAt),
    revokedAt: iso(row.revokedAt),
  };
}

/** Invitations of a tenant: admins invite by email, list and revoke. */
export const invitationAdminRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = (req: FastifyRequest) => requireRole(req, 'admin', 'inviting users is for admins');

  r.get(
    '/invitations',
    {
      schema: {
        tags: TAGS,
        summary: 'Invitations to the tenant, newest first (admins; never their tokens)',
        querystring: InvitationQuery,
        response: { 200: pageOf(Invitation), 404: ErrorBody },
      },
    },
    async (req) => {
      const a = admin(req);
      const { limit, state } = req.query;
      const cursor = decodeCursor(req.query.cursor);
      const rows = await app.db.withTenant(a, (q) => repo.listInvitations(q, { cursor, limit, state }));
      return pageFrom(rows, limit, (i) => ({ at: i.cursorAt, id: i.id }), toInvitation);
    },
  );

  r.post(
    '/invitations',
    {
      schema: {
        tags: TAGS,
        summary: 'Invite someone by email (admins)',
        description:
          'Returns the invitation with its single-use token, shown only here: hand it to the invitee ' +
          '(the dashboard shows a link). The answer does not say whether an account has that email; ' +
          'the invitee accepts by signing up or by logging in to that account.',
        body: InvitationCreate,
        response: { 201: InvitationCreated, 400: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      const token = newToken('invite');
      const row = await app.db.withTenant(a, async (q) => {
        const created = await repo.insertInvitation(q, {
          tenantId: a.tenantId,
          email: req.body.email,
          role: req.body.role,
          tokenHash: hashToken(token),
          invitedBy: a.userId,
          ttlHours: req.body.ttlHours,
        });
        await auditRequest(q, req, {
          action: 'invitation.create',
          targetType: 'invitation',
          targetId: created.id,
          details: { email: created.email, role: created.role },
        });
        return created;
      });
      reply.code(201);
      return { ...toInvitation(row), token };
    },
  );

  r.delete(
    '/invitations/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Revoke a pending invitation (admins)',
        params: TenantIdParams,
        response: { 204: NoContent, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      await app.db.withTenant(a, async (q) => {
        const revoked = await repo.revokeInvitation(q, req.params.id);
        if (!revoked) {
          const found = await repo.getInvitation(q, req.params.id);
          if (!found) throw new Errors.NOT_FOUND('Invitation');
          throw new Errors.CONFLICT(`This invitation is ${found.state}, not pending`);
        }
        await auditRequest(q, req, {
          action: 'invitation.revoke',
          targetType: 'invitation',
          targetId: revoked.id,
          details: { email: revoked.email, role: revoked.role },
        });
      });
      return reply.code(204).send(null);
    },
  );
};

/** Why an invitation cannot be used now, or null when it can. */
function unusable(i: repo.InvitationRow | null): string | null {
  if (!i) return 'is unknown';
  if (i.state === 'accepted') return 'was already accepted';
  if (i.state === 'revoked') return 'was revoked';
  if (i.state === 'expired') return 'has expired';
  return null;
}

/** Failed lookups one client address may make per window before it gets 429. */
export const INVITATION_FAILURE_LIMIT = 20;
const WINDOW_MS = 15 * 60_000;

/**
 * The invitee's side, outside any tenant: see what an invitation offers, accept it as a new
 * account (public), or as the logged-in account that has the invited email.
 */
export const invitationRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const failures = new AttemptLimiter(INVITATION_FAILURE_LIMIT, WINDOW_MS);

  /** Refuses an address that failed too often, before any work (a signup hashes a password). */
  function admit(req: FastifyRequest, reply: FastifyReply): void {
    const wait = failures.retryAfter(req.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new Errors.RATE_LIMITED(wait);
    }
  }

  /** The usable invitation of a token (locked for an acceptance), or a counted refusal. */
  async function usable(q: Queryable, req: FastifyRequest, token: string, lock: boolean) {
    const found = await repo.findByToken(q, hashToken(token), lock);
    const why =
      unusable(found) ??
      (found?.inviterIsAdmin === false
        ? 'was made by someone who is no longer an admin of this tenant'
        : null);
    if (why || !found) {
      failures.fail(req.ip);
      throw new Errors.INVITATION_INVALID(why ?? 'is unknown');
    }
    return found;
  }

  async function accept(q: Queryable, i: repo.InvitationByToken, userId: string, how: string) {
    // Already a member (invited twice, say): the invitation is used up, the role stays as it is.
    const role = (await joinTenant(q, i.tenantId, userId, i.role)) as Role;
    await repo.markAccepted(q, i.tenantId, i.id, userId);
    await writeAudit(q, i.tenantId, {
      actorUserId: userId,
      actorKind: 'user',
      action: 'invitation.accept',
      targetType: 'invitation',
      targetId: i.id,
      details: { email: i.email, role, ...(role !== i.role && { invitedRole: i.role }), how },
    });
    return { tenantId: i.tenantId, role, email: i.email };
  }

  r.post(
    '/api/v1/invitations/lookup',
    {
      config: { auth: false },
      schema: {
        tags: TAGS,
        summary: 'What an invitation offers, by its token (public)',
        description: '`account` says whether the invitee signs up or logs in to accept.',
        body: InvitationToken,
        response: { 200: InvitationPreview, 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      admit(req, reply);
      const i = await app.db.asSystem((q) => usable(q, req, req.body.token, false));
      return {
        tenantId: i.tenantId,
        tenantName: i.tenantName,
        email: i.email,
        role: i.role,
        expiresAt: iso(i.expiresAt)!,
        account: i.userId ? ('existing' as const) : ('new' as const),
      };
    },
  );

  r.post(
    '/api/v1/invitations/signup',
    {
      config: { auth: false },
      schema: {
        tags: TAGS,
        summary: 'Accept an invitation with a new account (public)',
        description:
          'Creates the account of the invited email with this name and password and adds it to the ' +
          'tenant; log in with them next. When an account has that email, 409: log in and accept.',
        body: InvitationSignup,
        response: { 201: InvitationAccepted, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      admit(req, reply);
      const passwordHash = await hashPassword(req.body.password);
      const accepted = await app.db.asSystem(async (q) => {
        const i = await usable(q, req, req.body.token, true);
        if (i.userId) throw new Errors.CONFLICT('An account has this email: log in to it and accept there');
        const userId = await insertUser(q, { email: i.email, name: req.body.name, passwordHash });
        return accept(q, i, userId, 'signup');
      });
      req.log.info({ tenantId: accepted.tenantId }, 'invitation accepted by a new account');
      reply.code(201);
      return accepted;
    },
  );

  r.post(
    '/api/v1/invitations/accept',
    {
      schema: {
        tags: TAGS,
        summary: 'Accept an invitation as the logged-in user, whose email it names',
        body: InvitationToken,
        response: { 200: InvitationAccepted, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      admit(req, reply);
      const accepted = await app.db.asSystem(async (q) => {
        const i = await usable(q, req, req.body.token, true);
        if (i.email !== user.email.toLowerCase()) {
          throw new Errors.CONFLICT(`This invitation is for ${i.email}; log in as that account to accept it`);
        }
        return accept(q, i, user.userId, 'login');
      });
      req.log.info({ tenantId: accepted.tenantId, userId: user.userId }, 'invitation accepted');
      return accepted;
    },
  );
};
