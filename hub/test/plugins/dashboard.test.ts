import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../src/plugins/error-handler.js';
import { DASHBOARD_CSP, dashboardPlugin } from '../../src/plugins/dashboard.js';

/**
 * The plugin that serves the dashboard, on a Fastify app with only it and the hub's error
 * handler, over a build folder written here (the real build is exercised by the browser tests).
 */

const INDEX =
  '<!doctype html><title>DRM</title><script type="module" src="/assets/index-abc123.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;

let dir: string;
let app: FastifyInstance;
let unbuilt: FastifyInstance;

async function appFor(root: string): Promise<FastifyInstance> {
  const a = Fastify();
  installErrorHandler(a);
  await a.register(dashboardPlugin, { root });
  // Stand-ins for the routes the dashboard must not shadow.
  a.get('/api/v1/things', async () => ({ items: [] }));
  a.get('/health', async () => ({ status: 'ok' }));
  await a.ready();
  return a;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drm-dashboard-plugin-'));
  mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'index.html'), INDEX);
  writeFileSync(join(dir, 'dist', 'assets', 'index-abc123.js'), SCRIPT);
  writeFileSync(join(dir, 'dist', 'assets', 'index-abc123.js.br'), brotliCompressSync(SCRIPT));
  writeFileSync(join(dir, 'dist', 'secret.txt'), 'not an asset');
  app = await appFor(join(dir, 'dist'));
  unbuilt = await appFor(join(dir, 'nothing-here'));
});

afterAll(async () => {
  await app?.close();
  await unbuilt?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard plugin', () => {
  it.each([
    '/',
    '/login',
    '/login?next=%2Ft%2Fx',
    '/t/11111111-1111-4111-8111-111111111111/devices',
    '/t/x/jobs/y',
  ])('GET %s answers with the app, revalidated and under the CSP', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(INDEX);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('the CSP allows no inline script, no eval and no framing', () => {
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
  });

  it('hashed assets are cached for a year as immutable', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe(SCRIPT);
  });

  it('serves the pre-compressed file to a browser that takes brotli', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(Number(res.headers['content-length'])).toBeLessThan(SCRIPT.length);
  });

  it.each([
    ['/assets/missing.js', 404],
    ['/assets/../secret.txt', 404],
    ['/assets/..%2fsecret.txt', 403],
    ['/secret.txt', 404],
    ['/index.html', 404],
  ])('GET %s → %i, never a file outside the assets', async (url, status) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(status);
    expect(res.body).not.toContain('not an asset');
    expect(res.body).not.toBe(INDEX);
  });

  it.each(['/api/v1/nothing', '/docs/nothing', '/health/x', '/metrics2', '/no/such/page'])(
    'GET %s is not taken for a page of the app: the JSON 404 stays',
    async (url) => {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: `Route GET ${url} not found` } });
    },
  );

  it('leaves the routes of the API and the health check alone', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/things' })).json()).toEqual({ items: [] });
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
  });

  it('before the first build, the root says how to build and where the API is', async () => {
    const res = await unbuilt.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    expect(res.body).toContain('href="/docs"');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect((await unbuilt.inject({ method: 'GET', url: '/assets/index-abc123.js' })).statusCode).toBe(404);
  });
});
