import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** The dashboard's build output, beside the hub in the workspace. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

/**
 * What the dashboard may load: its own scripts, styles and API (fetch and the live WebSocket,
 * which `'self'` covers), images inline as data: URIs; never framed, no plugins, no inline
 * script. Lit's styles are constructed stylesheets, which need no 'unsafe-inline'.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Client-side routes of the dashboard: the hub answers them with the app's `index.html` and
 * the app shows the page. Named explicitly rather than a catch-all, so `/api`, `/docs`,
 * `/redoc`, `/health`, `/ready` and `/metrics` keep their own answers, including JSON 404s
 * and the 401 that hides API route names from anonymous callers.
 */
const APP_ROUTES = ['/', '/login', '/invite', '/t/*'] as const;

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DRM hub</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>The dashboard has not been built</h1>
<p>Run <code>npm run build</code> (or <code>npm start</code>, which builds it when it is missing), then reload.</p>
<p>The API is up: see <a href="/docs">its documentation</a>.</p></body></html>`;

export interface DashboardPluginOptions {
  /** The built dashboard (`index.html` and `assets/`); default `dashboard/dist`. */
  root?: string;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

/**
 * Serves the dashboard at `/`: hashed assets under `/assets/` cached for a year as immutable
 * (a new build has new names), pre-compressed `.br`/`.gz` when the browser takes them, and
 * `index.html` for every client route, revalidated on each load so a new build is picked up.
 */
export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (app, opts) => {
  const root = opts.root ?? DASHBOARD_DIST;
  const index = join(root, 'index.html');

  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    // The folder appears with the first build, which may come after the hub starts.
    suppressWarning: true,
    wildcard: true,
    index: false,
    list: false,
    preCompressed: true,
    cacheControl: true,
    maxAge: '365d',
    immutable: true,
    dotfiles: 'deny',
    setHeaders: (reply) => reply.header('x-content-type-options', 'nosniff'),
  });

  const serveIndex = async (_req: unknown, reply: FastifyReply) => {
    const built = await stat(index).then(
      (s) => s.isFile(),
      () => false,
    );
    securityHeaders(reply).header('cache-control', 'no-cache');
    if (!built) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.sendFile('index.html', root, { cacheControl: false });
  };

  for (const url of APP_ROUTES) app.get(url, { schema: { hide: true } }, serveIndex);
};
