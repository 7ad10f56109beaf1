import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '../../src/errors.js';
import { authPlugin } from '../../src/plugins/auth.js';
import { dbPlugin } from '../../src/plugins/db.js';
import { installErrorHandler } from '../../src/plugins/error-handler.js';
import { access, registerTenantScope } from '../../src/modules/tenancy/scope.js';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { seedTenant, type TenantFixture } from './fixtures.js';
import { probeForeignTenant, probeOwnTenant } from './probe.js';
import { checkTenantIsolation } from './rls-checker.js';
import { ROUTE_CASES, tenantRoutes } from './route-cases.js';

/**
 * The isolation checks must be able to fail. Each test here breaks isolation on purpose, on
 * this file's own scratch database or app, and asserts that the checker names the breakage.
 */

let hub: TestHub;
let a: TenantFixture;
let b: TenantFixture;

beforeAll(async () => {
  hub = await createTestHub();
  a = await seedTenant(hub, 'alpha');
  b = await seedTenant(hub, 'bravo');
}, 120_000);
afterAll(() => hub?.close());

const POLICY = 'USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant())';

describe('the database-level checker', () => {
  it('finds nothing wrong with the migrated schema', async () => {
    expect(await checkTenantIsolation(hub.db, a.tenantId, b.tenantId)).toEqual([]);
  });

  it.each([
    {
      breakage: 'the policy of devices dropped',
      table: 'devices',
      breakSql: 'DROP POLICY tenant_isolation ON devices',
      restoreSql: `CREATE POLICY tenant_isolation ON devices ${POLICY}`,
      expected: [
        'devices: has no policy',
        expect.stringMatching(/^devices: tenant A sees 0 rows, owns [1-9]/),
      ],
    },
    {
      breakage: 'the policy of devices opened to every row',
      table: 'devices',
      breakSql: 'ALTER POLICY tenant_isolation ON devices USING (true) WITH CHECK (true)',
      restoreSql: `ALTER POLICY tenant_isolation ON devices ${POLICY}`,
      expected: [
        expect.stringMatching(/^devices: drm_app without a tenant sees [1-9]\d* rows$/),
        expect.stringMatching(/^devices: tenant B sees [1-9]\d* rows of tenant A$/),
        expect.stringMatching(/^devices: tenant B inserting a row of tenant A: failed with 23505/),
        'devices: tenant B deletes rows of tenant A: 1 rows',
        expect.stringMatching(/^devices: tenant A moving its rows to tenant B: /),
      ],
    },
    {
      breakage: 'row-level security disabled on job_results',
      table: 'job_results',
      breakSql: 'ALTER TABLE job_results DISABLE ROW LEVEL SECURITY',
      restoreSql: 'ALTER TABLE job_results ENABLE ROW LEVEL SECURITY',
      expected: [
        'job_results: row-level security is not enabled',
        expect.stringMatching(/^job_results: tenant B sees [1-9]\d* rows of tenant A$/),
      ],
    },
    {
      breakage: 'row-level security no longer forced on samples',
      table: 'samples',
      breakSql: 'ALTER TABLE samples NO FORCE ROW LEVEL SECURITY',
      restoreSql: 'ALTER TABLE samples FORCE ROW LEVEL SECURITY',
      expected: ['samples: row-level security is not forced'],
    },
    {
      breakage: 'a second, permissive policy on credentials',
      table: 'credentials',
      breakSql: 'CREATE POLICY debug_all ON credentials FOR SELECT USING (true)',
      restoreSql: 'DROP POLICY debug_all ON credentials',
      expected: [
        expect.stringMatching(/^credentials: policy debug_all USING \(true\) does not bind/),
        expect.stringMatching(/^credentials: tenant B sees [1-9]\d* rows of tenant A$/),
      ],
    },
  ])('reports $breakage, and only that table', async ({ table, breakSql, restoreSql, expected }) => {
    await hub.db.asOwner((q) => q.exec(breakSql));
    let problems: string[];
    try {
      problems = await checkTenantIsolation(hub.db, a.tenantId, b.tenantId);
    } finally {
      await hub.db.asOwner((q) => q.exec(restoreSql));
    }
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.filter((p) => !p.startsWith(`${table}: `))).toEqual([]);
    expect(problems).toEqual(expect.arrayContaining(expected));
    expect(await checkTenantIsolation(hub.db, a.tenantId, b.tenantId)).toEqual([]);
  });

  it('finds a new tenant-owned table that was left without row-level security', async () => {
    await hub.db.asOwner(async (q) => {
      await q.exec(`CREATE TABLE widgets (tenant_id uuid NOT NULL REFERENCES tenants (id), id uuid PRIMARY KEY DEFAULT gen_random_uuid());
        GRANT SELECT, INSERT, UPDATE, DELETE ON widgets TO drm_app;`);
      await q.query('INSERT INTO widgets (tenant_id) VALUES ($1), ($2)', [a.tenantId, b.tenantId]);
    });
    try {
      const problems = await checkTenantIsolation(hub.db, a.tenantId, b.tenantId);
      expect(problems).toEqual(
        expect.arrayContaining([
          'widgets: row-level security is not enabled',
          'widgets: has no policy',
          'widgets: drm_app without a tenant sees 2 rows',
          'widgets: tenant B sees 1 rows of tenant A',
        ]),
      );
      expect(problems.filter((p) => !p.startsWith('widgets: '))).toEqual([]);
    } finally {
      await hub.db.asOwner((q) => q.exec('DROP TABLE widgets'));
    }
  });
});

describe('the route checks', () => {
  let leaky: FastifyInstance;

  /** A route that reads with the cross-tenant role, trusting the id from the path. */
  const leakyItemRoute: FastifyPluginAsync = async (scoped) => {
    scoped.get<{ Params: { id: string } }>('/sites/:id', async (req) => {
      access(req);
      const { rows } = await scoped.db.asSystem((q) =>
        q.query('SELECT id, name, address FROM sites WHERE id = $1', [req.params.id]),
      );
      if (!rows[0]) throw new Errors.NOT_FOUND('Site');
      return rows[0];
    });
  };

  beforeAll(async () => {
    leaky = Fastify({ logger: false });
    installErrorHandler(leaky);
    await leaky.register(dbPlugin, { db: hub.db, owned: false });
    await leaky.register(cookie);
    await leaky.register(authPlugin);
    // A tenant route registered outside the tenant scope: nobody checks the caller's role.
    leaky.get<{ Params: { tenantId: string } }>('/api/v1/tenants/:tenantId/sites', async (req) => {
      const { rows } = await leaky.db.withTenant(req.params.tenantId, (q) =>
        q.query('SELECT id, name FROM sites'),
      );
      return { items: rows, nextCursor: null };
    });
    registerTenantScope(leaky, [leakyItemRoute]);
    await leaky.ready();
  });
  afterAll(() => leaky?.close());

  it('catch a tenant route that skips the role check', async () => {
    const problems = await probeForeignTenant(leaky, b, a, 'GET /api/v1/tenants/:tenantId/sites');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/answered 200/),
        `GET /api/v1/tenants/:tenantId/sites leaked ${a.ids.siteId}`,
        `GET /api/v1/tenants/:tenantId/sites leaked ${a.marker}`,
      ]),
    );
  });

  it('catch a route that reads another tenant’s row by id', async () => {
    const route = 'GET /api/v1/tenants/:tenantId/sites/:id';
    // The scope still refuses the foreign tenant id...
    expect(await probeForeignTenant(leaky, b, a, route)).toEqual([]);
    // ...but from B's own tenant the id of A's site reads it.
    const problems = await probeOwnTenant(leaky, b, a, route, a);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/answered 200/), `${route} leaked ${a.marker}`]),
    );
  });

  it('flag a tenant-scoped route that has no isolation case', () => {
    const routeList = [
      ...Object.keys(ROUTE_CASES),
      'GET /api/v1/health',
      'DELETE /api/v1/tenants/:tenantId/widgets/:id',
    ];
    expect(tenantRoutes(routeList).filter((r) => !(r in ROUTE_CASES))).toEqual([
      'DELETE /api/v1/tenants/:tenantId/widgets/:id',
    ]);
  });
});
