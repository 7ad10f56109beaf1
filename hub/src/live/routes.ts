import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Errors } from '../errors.js';
import { TenantIdParams } from '../lib/schemas.js';
import { listUserTenants } from '../modules/auth/repo.js';
import { access } from '../modules/tenancy/scope.js';
import { currentUser, requestToken } from '../plugins/auth.js';
import { hashToken } from '../security/tokens.js';
import type { LiveUser } from './connection.js';
import { jobEventsSchema, liveWsSchema } from './docs.js';
import { jobExists } from './repo.js';

/** The caller as the live stream keeps it: the user, and the token's hash for later checks. */
function liveUser(req: FastifyRequest): LiveUser {
  const user = currentUser(req);
  const token = requestToken(req);
  if (!token) throw new Errors.UNAUTHENTICATED();
  return { userId: user.userId, tokenHash: hashToken(token) };
}

/**
 * A page of another origin must not ride the session cookie into a WebSocket (browsers send
 * cookies with cross-site upgrades but no CORS check applies to them). A bearer header cannot
 * come from such a page, and a script that sends no Origin is not a browser.
 */
function checkOrigin(req: FastifyRequest, allowed: readonly string[]): void {
  const origin = req.headers.origin;
  if (!origin || req.headers.authorization || allowed.includes('*') || allowed.includes(origin)) return;
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {
    // an unparsable Origin is refused below
  }
  if (host === null || host !== req.headers.host) {
    throw new Errors.FORBIDDEN(`a page from ${origin} may not open the live stream with a session cookie`);
  }
}

/** `GET /api/v1/live` (WebSocket) and the alias `GET /api/v1/jobs/events/:id` (SSE). */
export const liveRoutes: FastifyPluginAsync = async (app) => {
  app.route({
    method: 'GET',
    url: '/api/v1/live',
    schema: liveWsSchema,
    preHandler: async (req) => {
      if (req.ws) checkOrigin(req, app.config.CORS_ORIGINS);
    },
    handler: async () => {
      throw new Errors.UPGRADE_REQUIRED('open it with a WebSocket client (Upgrade: websocket)');
    },
    wsHandler: (socket, req) => {
      app.live.sockets.accept(socket, liveUser(req));
    },
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/jobs/events/:id',
    {
      schema: {
        ...jobEventsSchema(z.object({ id: z.uuid() })),
        summary: 'Server-sent events of one job, found among the tenants you may see',
        description:
          'The earlier platform’s path, kept for its clients: the same stream as ' +
          '`GET /api/v1/tenants/{tenantId}/jobs/{id}/events`, for the job with this id in any ' +
          'tenant where you have a role; 404 otherwise.',
      },
    },
    async (req, reply) => {
      const user = liveUser(req);
      const id = req.params.id.toLowerCase();
      const tenants = await app.db.asSystem((q) => listUserTenants(q, user.userId));
      for (const t of tenants) {
        const ctx = { tenantId: t.id, userId: user.userId };
        if (await app.db.withTenant(ctx, (q) => jobExists(q, t.id, id))) {
          reply.hijack();
          app.live.sse.start(reply.raw, user, t.id, id);
          return reply;
        }
      }
      throw new Errors.NOT_FOUND('Job');
    },
  );
};

/** `GET /api/v1/tenants/:tenantId/jobs/:id/events` (SSE): read access as `GET …/jobs/:id`. */
export const liveJobEventRoutes: FastifyPluginAsync = async (app) => {
  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/jobs/:id/events', { schema: jobEventsSchema(TenantIdParams) }, async (req, reply) => {
      const a = access(req);
      const id = req.params.id.toLowerCase();
      if (!(await app.db.withTenant(a, (q) => jobExists(q, a.tenantId, id))))
        throw new Errors.NOT_FOUND('Job');
      const user = liveUser(req);
      reply.hijack();
      app.live.sse.start(reply.raw, user, a.tenantId, id);
      return reply;
    });
};
