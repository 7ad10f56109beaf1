import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApiToken,
  ApiTokenCreate,
  ApiTokenCreated,
  ErrorBody,
  LoginRequest,
  LoginResponse,
} from '@drm/protocol';
import { Errors } from '../../errors.js';
import { iso } from '../../lib/paging.js';
import { currentUser, SESSION_COOKIE } from '../../plugins/auth.js';
import { verifyPassword } from '../../security/passwords.js';
import { hashToken, newToken } from '../../security/tokens.js';
import { AttemptLimiter } from './rate-limit.js';
import * as repo from './repo.js';

const Me = LoginResponse.omit({ token: true });
const IdParams = z.object({ id: z.uuid() });

/** Login, logout, the current user, and the user's API tokens for integrations. */
export const authRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Five wrong passwords for one account from one address per 15 minutes, and 30 per address.
  const perAccount = new AttemptLimiter(5, 15 * 60_000);
  const perAddress = new AttemptLimiter(30, 15 * 60_000);

  r.post(
    '/api/v1/auth/login',
    {
      config: { auth: false },
      schema: {
        tags: ['auth'],
        summary: 'Log in with email and password',
        description: 'Returns a bearer token and sets an HttpOnly session cookie.',
        body: LoginRequest,
        response: { 200: LoginResponse, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      const email = req.body.email.trim().toLowerCase();
      const accountKey = `${req.ip}|${email}`;
      const wait = Math.max(perAccount.retryAfter(accountKey), perAddress.retryAfter(req.ip));
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new Errors.RATE_LIMITED(wait);
      }
      const user = await app.db.asSystem((q) => repo.findUserForLogin(q, email));
      const ok = await verifyPassword(req.body.password, user?.passwordHash);
      if (!user || !ok || user.disabled) {
        perAccount.fail(accountKey);
        perAddress.fail(req.ip);
        req.log.info({ email }, 'login failed');
        throw new Errors.INVALID_CREDENTIALS();
      }
      perAccount.reset(accountKey);
      const token = newToken('session');
      const expiresAt = new Date(Date.now() + app.config.SESSION_TTL_HOURS * 3600_000);
      const tenants = await app.db.asSystem(async (q) => {
        await repo.insertToken(q, {
          userId: user.id,
          kind: 'session',
          name: (req.headers['user-agent'] ?? 'session').slice(0, 200),
          tokenHash: hashToken(token),
          expiresAt,
        });
        await repo.recordLogin(q, user.id);
        return repo.listUserTenants(q, user.id);
      });
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: app.config.COOKIE_SECURE,
        path: '/',
        expires: expiresAt,
      });
      req.log.info({ userId: user.id }, 'login');
      return { token, user: { id: user.id, email: user.email, name: user.name }, tenants };
    },
  );

  r.post(
    '/api/v1/auth/logout',
    { schema: { tags: ['auth'], summary: 'End this session (or revoke the bearer token used)' } },
    async (req, reply) => {
      const user = currentUser(req);
      await app.db.asSystem((q) => repo.revokeToken(q, user.userId, user.tokenId));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/v1/auth/me',
    { schema: { tags: ['auth'], summary: 'The current user and their tenants', response: { 200: Me } } },
    async (req) => {
      const user = currentUser(req);
      const tenants = await app.db.asSystem((q) => repo.listUserTenants(q, user.userId));
      return { user: { id: user.userId, email: user.email, name: user.name }, tenants };
    },
  );

  r.get(
    '/api/v1/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: "List the current user's API tokens (never their values)",
        response: { 200: z.object({ items: z.array(ApiToken) }) },
      },
    },
    async (req) => {
      const user = currentUser(req);
      const rows = await app.db.asSystem((q) => repo.listApiTokens(q, user.userId));
      return { items: rows.map(toApiToken) };
    },
  );

  r.post(
    '/api/v1/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an API token for an integration; its value is shown once',
        body: ApiTokenCreate,
        response: { 201: ApiTokenCreated },
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      if (user.via === 'api') throw new Errors.FORBIDDEN('API tokens cannot mint further tokens; log in');
      const token = newToken('api');
      const expiresAt = req.body.expiresInDays
        ? new Date(Date.now() + req.body.expiresInDays * 86400_000)
        : null;
      const row = await app.db.asSystem((q) =>
        repo.insertToken(q, {
          userId: user.userId,
          kind: 'api',
          name: req.body.name,
          tokenHash: hashToken(token),
          expiresAt,
        }),
      );
      reply.code(201);
      return {
        ...toApiToken({
          id: row.id,
          name: req.body.name,
          createdAt: row.createdAt,
          expiresAt,
          lastUsedAt: null,
        }),
        token,
      };
    },
  );

  r.delete(
    '/api/v1/auth/tokens/:id',
    { schema: { tags: ['auth'], summary: 'Revoke one of your API tokens', params: IdParams } },
    async (req, reply) => {
      const user = currentUser(req);
      const revoked = await app.db.asSystem((q) => repo.revokeToken(q, user.userId, req.params.id));
      if (!revoked) throw new Errors.NOT_FOUND('API token');
      return reply.code(204).send();
    },
  );
};

function toApiToken(row: repo.ApiTokenRow) {
  return {
    id: row.id,
    name: row.name,
    createdAt: iso(row.createdAt)!,
    expiresAt: iso(row.expiresAt),
    lastUsedAt: iso(row.lastUsedAt),
  };
}
