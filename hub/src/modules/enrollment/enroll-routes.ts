import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { EnrollRequest, EnrollResponse, ErrorBody } from '@drm/protocol';
import { Errors } from '../../errors.js';
import { AttemptLimiter } from '../auth/rate-limit.js';
import { enrollAgent } from './enroll.js';
import { agentMqttUrl } from './mqtt-url.js';

/** Failed enrollments one client address may make per window before it gets 429. */
export const ENROLL_FAILURE_LIMIT = 20;
const ENROLL_WINDOW_MS = 15 * 60_000;

/**
 * `POST /api/v1/agents/enroll`: public, authenticated by the single-use enrollment token
 * alone. Failed attempts are counted per client address; tokens carry 256 random bits, so
 * the limit is about log noise and load (each attempt costs an scrypt hash), not guessing.
 */
export const enrollRoutes: FastifyPluginAsync = async (app) => {
  const failures = new AttemptLimiter(ENROLL_FAILURE_LIMIT, ENROLL_WINDOW_MS);

  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/v1/agents/enroll',
    {
      config: { auth: false },
      schema: {
        tags: ['agents'],
        summary: 'Enroll an agent with a single-use enrollment token',
        description:
          'Returns the agent id, its tenant and site, and MQTT credentials that are shown only here. ' +
          'An unknown, used, expired or revoked token answers 401 ENROLLMENT_TOKEN_INVALID. ' +
          'Where the hub keeps agent logins at an external broker and that broker does not confirm ' +
          'the new login, 503 UNAVAILABLE, and the token stays usable.',
        body: EnrollRequest,
        response: { 201: EnrollResponse, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (req, reply) => {
      const wait = failures.retryAfter(req.ip);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new Errors.RATE_LIMITED(wait);
      }
      // Before the token is spent: a token must not be used up on a reply we cannot give.
      const url = agentMqttUrl(app.config, req.headers.host, app.hasDecorator('mqtt') ? app.mqtt.port : null);
      if (!url)
        throw new Errors.VALIDATION(
          'The Host header is missing or malformed; set MQTT_PUBLIC_URL on the hub',
        );
      const accounts = app.hasDecorator('brokerAccounts') ? app.brokerAccounts : null;
      const { agentId, tenantId, siteId, mqttUsername, mqttPassword } = await enrollAgent(
        app.db,
        req.body,
        accounts,
      ).catch((err: unknown) => {
        // The error handler logs the refusal with its reason; only the count is kept here.
        if (err instanceof Errors.ENROLLMENT_TOKEN_INVALID) failures.fail(req.ip);
        throw err;
      });
      req.log.info({ tenantId, siteId, agentId, version: req.body.version }, 'agent enrolled');
      reply.code(201);
      return { agentId, tenantId, siteId, mqtt: { url, username: mqttUsername, password: mqttPassword } };
    },
  );
};
