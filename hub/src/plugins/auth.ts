import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import { resolveToken, touchToken } from '../modules/auth/repo.js';
import { hashToken } from '../security/tokens.js';

export const SESSION_COOKIE = 'drm_session';

export interface AuthContext {
  userId: string;
  email: string;
  name: string;
  tokenId: string;
  /** `session` for a browser login, `api` for an integration's bearer token. */
  via: 'session' | 'api';
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyContextConfig {
    /** `false` marks a public route (login, enrollment); every other /api route needs a user. */
    auth?: boolean;
  }
}

// Write last-used at most once a minute per token: a hot token must not write on every request.
const TOUCH_INTERVAL_MS = 60_000;

/** The token a request carries: `Authorization: Bearer …` first, then the session cookie. Never the URL. */
export function requestToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1] ?? null;
  }
  return req.cookies[SESSION_COOKIE] ?? null;
}

/**
 * Authenticates every /api request by session cookie or bearer token, except routes that
 * declare `config: { auth: false }`. Sets `req.auth`.
 */
export const authPlugin = fp(
  async (app) => {
    app.decorateRequest('auth', null);
    app.addHook('onRequest', async (req) => {
      // The matched route's pattern, not the raw URL: `/%61pi/…` reaches the same /api route.
      const path = req.routeOptions.url ?? req.url;
      if (!path.startsWith('/api/') || req.routeOptions.config.auth === false) return;
      const token = requestToken(req);
      if (!token || token.length > 200) throw new Errors.UNAUTHENTICATED();
      const resolved = await app.db.asSystem(async (q) => {
        const row = await resolveToken(q, hashToken(token));
        if (row && (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS)) {
          await touchToken(q, row.tokenId);
        }
        return row;
      });
      if (!resolved) throw new Errors.UNAUTHENTICATED();
      req.auth = {
        userId: resolved.userId,
        email: resolved.email,
        name: resolved.name,
        tokenId: resolved.tokenId,
        via: resolved.kind,
      };
    });
  },
  { name: 'drm-auth', dependencies: ['drm-db'] },
);

/** The authenticated user of a request on a non-public route. */
export function currentUser(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new Errors.UNAUTHENTICATED();
  return req.auth;
}
