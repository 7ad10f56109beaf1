import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { seedTenant, type TenantFixture, tenantSecrets } from './fixtures.js';
import { mentionsVictim, probeForeignTenant, probeOwnTenant, send } from './probe.js';
import { checkTenantIsolation, snapshotTenant, tenantOwnedTables } from './rls-checker.js';
import { buildRequest, ROUTE_CASES, refersToOtherResources, tenantRoutes } from './route-cases.js';

/**
 * Tenant isolation, end to end: tenant A holds one of everything; the admin of tenant B tries
 * every tenant-scoped route against it. Then the same at the database level, table by table.
 */

let hub: TestHub;
let a: TenantFixture;
let b: TenantFixture;
/** A third tenant whose data the positive controls may change. */
let c: TenantFixture;
let before: Record<string, unknown[]>;

const ROUTES = Object.keys(ROUTE_CASES);
const READS = ROUTES.filter((r) => r.startsWith('GET ') && !ROUTE_CASES[r]!.stream);
/** Creations first, then changes, then actions on an item (revoke, cancel), deletions last. */
const writeOrder = (route: string) => {
  const [method, path] = route.split(' ') as [string, string];
  if (method === 'DELETE') return 3;
  if (method === 'POST') return path.includes('/:id') ? 2 : 0;
  return 1;
};

beforeAll(async () => {
  hub = await createTestHub();
  a = await seedTenant(hub, 'alpha');
  b = await seedTenant(hub, 'bravo');
  c = await seedTenant(hub, 'charlie');
  before = await snapshotTenant(hub.db, a.tenantId);
}, 120_000);
afterAll(() => hub?.close());

describe('route coverage', () => {
  it('every tenant-scoped route of the app has an isolation case', () => {
    const uncovered = tenantRoutes(hub.app.routeList).filter((r) => !(r in ROUTE_CASES));
    expect(uncovered, 'add these routes to ROUTE_CASES in route-cases.ts').toEqual([]);
  });

  it('every isolation case is a route the app has', () => {
    const registered = new Set(hub.app.routeList);
    expect(ROUTES.filter((r) => !registered.has(r))).toEqual([]);
  });

  it('every case builds a request (each path parameter has a fixture id)', () => {
    for (const route of ROUTES) expect(() => buildRequest(route, a.tenantId, a)).not.toThrow();
  });
});

describe('positive controls: the cases reach real data', () => {
  it.each(READS)('%s as the owner answers 200 with its data', async (route) => {
    const req = buildRequest(route, a.tenantId, a);
    const answer = await send(hub.app, a.admin.token, req);
    expect(answer.status, answer.body).toBe(200);
    expect(tenantSecrets(a).filter((s) => answer.body.includes(s)).length, answer.body).toBeGreaterThan(0);
  });

  it('every write case is valid and finds its target (run on a third tenant)', async () => {
    const writes = ROUTES.filter((r) => !r.startsWith('GET ')).sort((x, y) => writeOrder(x) - writeOrder(y));
    const failures: string[] = [];
    for (const route of writes) {
      const req = buildRequest(route, c.tenantId, c);
      const answer = await send(hub.app, c.admin.token, req);
      // 409 is a refusal of the found resource's state (site in use, last admin, job finished).
      if (!(answer.status >= 200 && answer.status < 300) && answer.status !== 409) {
        failures.push(`${route}: ${answer.status} ${answer.body.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("B's admin with A's tenant id", () => {
  it.each(ROUTES)('%s → 404, nothing of A', async (route) => {
    expect(await probeForeignTenant(hub.app, b, a, route)).toEqual([]);
  });
});

describe("B's admin in B's tenant with A's resource ids", () => {
  it.each(ROUTES)('%s → 404 for A’s items, refused writes, lists without A', async (route) => {
    expect(await probeOwnTenant(hub.app, b, a, route, a)).toEqual([]);
  });

  it.each(ROUTES.filter(refersToOtherResources))(
    "%s on B's own resource, naming A's resources in the body or query → refused, or nothing of A",
    async (route) => {
      expect(mentionsVictim(buildRequest(route, b.tenantId, b, a), a)).toBe(true);
      expect(await probeOwnTenant(hub.app, b, a, route, b)).toEqual([]);
    },
  );

  it("B's lists of every kind never contain A's ids", async () => {
    const leaks: string[] = [];
    for (const route of READS) {
      const req = buildRequest(route, b.tenantId, b);
      const answer = await send(hub.app, b.admin.token, req);
      for (const s of tenantSecrets(a)) if (answer.body.includes(s)) leaks.push(`${route}: ${s}`);
    }
    expect(leaks).toEqual([]);
  });

  it('tenant lists and the current user show nothing of A', async () => {
    for (const url of ['/api/v1/tenants', '/api/v1/auth/me', '/api/v1/auth/tokens']) {
      const res = await hub.call(b.admin.token, 'GET', url);
      expect(res.statusCode).toBe(200);
      expect(tenantSecrets(a).filter((s) => res.body.includes(s))).toEqual([]);
    }
  });

  it("A's data is exactly as it was after every call above", async () => {
    expect(await snapshotTenant(hub.db, a.tenantId)).toEqual(before);
  });
});

describe('database level', () => {
  it('finds every tenant-owned table in the catalog', async () => {
    const tables = await tenantOwnedTables(hub.db);
    expect(tables).toEqual(
      expect.arrayContaining([
        'memberships',
        'sites',
        'credentials',
        'agents',
        'enrollment_tokens',
        'devices',
        'schedules',
        'jobs',
        'job_targets',
        'job_results',
        'samples',
        'events',
        'audit_log',
      ]),
    );
  });

  it('tenant A has a row in every tenant-owned table, so the checks below mean something', async () => {
    const empty = Object.entries(before)
      .filter(([, rows]) => rows.length === 0)
      .map(([table]) => table);
    expect(empty).toEqual([]);
  });

  it(`isolates every tenant-owned table on ${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, async () => {
    expect(await checkTenantIsolation(hub.db, a.tenantId, b.tenantId)).toEqual([]);
  });

  it("hides A's users, tenant and tokens from B's context", async () => {
    const seen = await hub.db.withTenant({ tenantId: b.tenantId, userId: b.admin.id }, async (q) => ({
      users: (await q.query<{ id: string }>('SELECT id FROM users')).rows.map((r) => r.id),
      tenants: (await q.query<{ id: string }>('SELECT id FROM tenants')).rows.map((r) => r.id),
      tokens: (await q.query<{ user_id: string }>('SELECT user_id FROM auth_tokens')).rows.map(
        (r) => r.user_id,
      ),
    }));
    expect(seen.users).not.toContain(a.admin.id);
    expect(seen.users).toContain(b.admin.id);
    expect(seen.tenants).toEqual([b.tenantId]);
    expect(new Set(seen.tokens)).toEqual(new Set([b.admin.id]));
  });

  it('keeps password and token hashes away from the application role', async () => {
    for (const sql of ['SELECT password_hash FROM users', 'SELECT token_hash FROM auth_tokens']) {
      await expect(
        hub.db.withTenant({ tenantId: b.tenantId, userId: b.admin.id }, (q) => q.query(sql)),
      ).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('keeps the sample partitions out of reach of the application role', async () => {
    const { rows } = await hub.db.asOwner((q) =>
      q.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'samples'::regclass`,
      ),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { name } of rows) {
      await expect(
        hub.db.withTenant(b.tenantId, (q) => q.query(`SELECT count(*) FROM ${name}`)),
      ).rejects.toMatchObject({
        code: '42501',
      });
    }
  });
});
