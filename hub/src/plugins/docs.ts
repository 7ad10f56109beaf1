import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

const require = createRequire(import.meta.url);

const REDOC_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DRM hub API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/docs/json"></redoc><script src="/redoc/redoc.standalone.js"></script></body></html>`;

/** OpenAPI 3 at /docs/json, Swagger UI at /docs, ReDoc at /redoc — all served locally. */
export const docsPlugin = fp<{ version: string }>(
  async (app, opts) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'DRM hub API',
          description:
            'Device remote management for MSPs. Authenticate with `POST /api/v1/auth/login` ' +
            '(session cookie) or an API token as `Authorization: Bearer …`. Errors are ' +
            '`{error: {code, message, details?}}`.',
          version: opts.version,
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer' },
            cookie: { type: 'apiKey', in: 'cookie', name: 'drm_session' },
          },
        },
        security: [{ bearer: [] }, { cookie: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    const redocFile = require.resolve('redoc/bundles/redoc.standalone.js');
    app.get('/redoc', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html').send(REDOC_PAGE),
    );
    app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=86400');
      return reply.type('application/javascript').send(await readFile(redocFile));
    });
  },
  { name: 'drm-docs' },
);
