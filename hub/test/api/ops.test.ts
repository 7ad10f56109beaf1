import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub?.close());

describe('ops endpoints', () => {
  it('GET /health answers {"status":"ok"} without authentication', async () => {
    const res = await hub.call(null, 'GET', '/health');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toBe('{"status":"ok"}');
  });

  it('GET /ready reports the database and broker checks', async () => {
    const res = await hub.call(null, 'GET', '/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { broker: { ok: true }, database: { ok: true } } });
  });

  it('GET /ready answers 503 naming the check that fails', async () => {
    hub.app.readyChecks.set('test-broken', async () => {
      throw new Error('broker unreachable');
    });
    try {
      const res = await hub.call(null, 'GET', '/ready');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        status: 'not-ready',
        checks: {
          broker: { ok: true },
          database: { ok: true },
          'test-broken': { ok: false, error: 'broker unreachable' },
        },
      });
    } finally {
      hub.app.readyChecks.delete('test-broken');
    }
  });

  it('GET /metrics serves Prometheus text with the HTTP request counter by route pattern', async () => {
    await hub.call(null, 'GET', '/health');
    const res = await hub.call(null, 'GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE drm_hub_http_requests_total counter');
    expect(res.body).toMatch(
      /drm_hub_http_requests_total\{method="GET",route="\/health",status="200"\} [1-9]/,
    );
    expect(res.body).toContain('drm_hub_process_cpu_seconds_total');
  });

  it('labels metrics with the route pattern, never the raw URL', async () => {
    const id = '6d1b5b1e-0000-4000-8000-000000000001';
    await hub.call(null, 'GET', `/api/v1/tenants/${id}/sites`);
    const body = (await hub.call(null, 'GET', '/metrics')).body;
    expect(body).not.toContain(id);
    expect(body).toContain('route="/api/v1/tenants/:tenantId/sites"');
  });

  it('GET /docs/json is OpenAPI 3 listing the main paths', async () => {
    const res = await hub.call(null, 'GET', '/docs/json');
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('DRM hub API');
    for (const path of [
      '/health',
      '/ready',
      '/api/v1/auth/login',
      '/api/v1/auth/me',
      '/api/v1/auth/tokens',
      '/api/v1/tenants',
      '/api/v1/tenants/{tenantId}/sites',
      '/api/v1/tenants/{tenantId}/sites/{id}',
      '/api/v1/tenants/{tenantId}/users',
      '/api/v1/tenants/{tenantId}/audit',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    // Ops and docs plumbing stay out of the public contract.
    expect(doc.paths).not.toHaveProperty(['/metrics']);
    expect(doc.paths).not.toHaveProperty(['/redoc']);
  });

  it('every documented operation has a tag and a summary', async () => {
    const doc = (await hub.call(null, 'GET', '/docs/json')).json() as {
      paths: Record<string, Record<string, { tags?: string[]; summary?: string }>>;
    };
    const missing = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !op.tags?.length || !op.summary)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(missing).toEqual([]);
  });

  it('GET /docs serves the Swagger UI page', async () => {
    const res = await hub.call(null, 'GET', '/docs');
    const page = res.statusCode === 302 ? await hub.call(null, 'GET', String(res.headers.location)) : res;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/swagger/i);
  });

  it('GET /redoc serves a page whose script is served locally', async () => {
    const res = await hub.call(null, 'GET', '/redoc');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const src = /<script src="([^"]+)"/.exec(res.body)?.[1];
    expect(src).toBe('/redoc/redoc.standalone.js');
    expect(res.body).toContain('spec-url="/docs/json"');
    const script = await hub.call(null, 'GET', src!);
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body.length).toBeGreaterThan(100_000);
  });
});
