import { randomUUID } from 'node:crypto';
import { SAMPLE_OID, type TenantFixture } from './fixtures.js';

export const TENANT_PREFIX = '/api/v1/tenants/:tenantId';

type Ids = TenantFixture['ids'] & { adminId: string };

/** How to call one route: its query string and a body that would pass validation. */
export interface RouteCase {
  query?: (ids: Ids) => Record<string, string>;
  body?: (ids: Ids) => unknown;
  /**
   * A response that stays open (SSE): refusals must still come at once, but the owner's
   * positive control is left to the route's own tests, as inject() waits for the end.
   */
  stream?: boolean;
}

/**
 * Every route under the tenant prefix, keyed as `app.routeList` records it. The ids are those
 * of the tenant whose data a call aims at. A tenant-scoped route missing here fails the
 * coverage test: add it with a body that would pass validation.
 */
export const ROUTE_CASES: Record<string, RouteCase> = {
  'GET /api/v1/tenants/:tenantId': {},
  'PATCH /api/v1/tenants/:tenantId': { body: () => ({ name: `taken over ${randomUUID().slice(0, 6)}` }) },

  'GET /api/v1/tenants/:tenantId/sites': { query: () => ({ q: 'site' }) },
  'POST /api/v1/tenants/:tenantId/sites': { body: () => ({ name: `intruder ${randomUUID().slice(0, 6)}` }) },
  'GET /api/v1/tenants/:tenantId/sites/:id': {},
  'PATCH /api/v1/tenants/:tenantId/sites/:id': { body: () => ({ name: 'renamed by an intruder' }) },
  'DELETE /api/v1/tenants/:tenantId/sites/:id': {},

  'GET /api/v1/tenants/:tenantId/devices': { query: (i) => ({ siteId: i.siteId, agentId: i.agentId }) },
  'POST /api/v1/tenants/:tenantId/devices': {
    body: (i) => ({
      siteId: i.siteId,
      agentId: i.agentId,
      name: `intruder ${randomUUID().slice(0, 6)}`,
      address: '198.51.100.7',
      snmp: { version: '2c', credentialId: i.credentialId },
    }),
  },
  'GET /api/v1/tenants/:tenantId/devices/:id': {},
  'PATCH /api/v1/tenants/:tenantId/devices/:id': {
    body: (i) => ({
      name: 'renamed by an intruder',
      siteId: i.siteId,
      agentId: i.agentId,
      snmp: { credentialId: i.credentialId },
    }),
  },
  'DELETE /api/v1/tenants/:tenantId/devices/:id': {},
  'GET /api/v1/tenants/:tenantId/devices/:id/latest': {},

  'GET /api/v1/tenants/:tenantId/credentials': { query: () => ({ kind: 'snmp-community' }) },
  'POST /api/v1/tenants/:tenantId/credentials': {
    body: () => ({
      kind: 'snmp-community',
      name: `intruder ${randomUUID().slice(0, 6)}`,
      community: 'intruder',
    }),
  },
  'GET /api/v1/tenants/:tenantId/credentials/:id': {},
  'PATCH /api/v1/tenants/:tenantId/credentials/:id': {
    body: () => ({ kind: 'snmp-community', community: 'overwritten by an intruder' }),
  },
  'DELETE /api/v1/tenants/:tenantId/credentials/:id': {},

  'GET /api/v1/tenants/:tenantId/enrollment-tokens': { query: (i) => ({ siteId: i.siteId }) },
  'POST /api/v1/tenants/:tenantId/enrollment-tokens': { body: (i) => ({ siteId: i.siteId, ttlMinutes: 60 }) },
  'DELETE /api/v1/tenants/:tenantId/enrollment-tokens/:id': {},

  'GET /api/v1/tenants/:tenantId/agents': { query: (i) => ({ siteId: i.siteId }) },
  'GET /api/v1/tenants/:tenantId/agents/:id': {},
  'PATCH /api/v1/tenants/:tenantId/agents/:id': {
    body: (i) => ({ name: 'renamed by an intruder', siteId: i.siteId }),
  },
  'POST /api/v1/tenants/:tenantId/agents/:id/rotate-credentials': {},
  'POST /api/v1/tenants/:tenantId/agents/:id/revoke': {},

  'GET /api/v1/tenants/:tenantId/jobs': { query: (i) => ({ deviceId: i.deviceId, agentId: i.agentId }) },
  'POST /api/v1/tenants/:tenantId/jobs': {
    body: (i) => ({
      kind: 'snmp.get',
      targets: [i.deviceId],
      params: { oids: [SAMPLE_OID], credentialId: i.credentialId },
    }),
  },
  'GET /api/v1/tenants/:tenantId/jobs/:id': {},
  'POST /api/v1/tenants/:tenantId/jobs/:id/cancel': {},
  'GET /api/v1/tenants/:tenantId/jobs/:id/results': { query: (i) => ({ deviceId: i.deviceId }) },
  'GET /api/v1/tenants/:tenantId/jobs/:id/events': { stream: true },

  'GET /api/v1/tenants/:tenantId/schedules': { query: (i) => ({ deviceId: i.deviceId }) },
  'POST /api/v1/tenants/:tenantId/schedules': {
    body: (i) => ({
      name: `intruder ${randomUUID().slice(0, 6)}`,
      kind: 'snmp.get',
      deviceIds: [i.deviceId],
      intervalSeconds: 60,
      params: { oids: [SAMPLE_OID] },
    }),
  },
  'GET /api/v1/tenants/:tenantId/schedules/:id': {},
  'PATCH /api/v1/tenants/:tenantId/schedules/:id': {
    body: (i) => ({ enabled: false, deviceIds: [i.deviceId] }),
  },
  'DELETE /api/v1/tenants/:tenantId/schedules/:id': {},

  'GET /api/v1/tenants/:tenantId/samples': { query: (i) => ({ deviceId: i.deviceId, oid: SAMPLE_OID }) },

  'GET /api/v1/tenants/:tenantId/events': { query: (i) => ({ agentId: i.agentId }) },
  'GET /api/v1/tenants/:tenantId/events/:id': {},

  'GET /api/v1/tenants/:tenantId/users': {},
  'GET /api/v1/tenants/:tenantId/users/:userId': {},
  'PATCH /api/v1/tenants/:tenantId/users/:userId': { body: () => ({ role: 'viewer' }) },
  'DELETE /api/v1/tenants/:tenantId/users/:userId': {},

  'GET /api/v1/tenants/:tenantId/invitations': {},
  'POST /api/v1/tenants/:tenantId/invitations': {
    body: () => ({ email: `intruder-${randomUUID().slice(0, 8)}@example.test`, role: 'admin' }),
  },
  'DELETE /api/v1/tenants/:tenantId/invitations/:id': {},

  'GET /api/v1/tenants/:tenantId/audit': { query: (i) => ({ actorUserId: i.adminId }) },
};

/**
 * Which fixture id fills a path parameter, by the collection the parameter follows
 * (`/devices/:id` → the device). A new collection must be added here.
 */
const ID_BY_COLLECTION: Record<string, keyof Ids> = {
  sites: 'siteId',
  devices: 'deviceId',
  credentials: 'credentialId',
  'enrollment-tokens': 'enrollmentTokenId',
  agents: 'agentId',
  jobs: 'jobId',
  schedules: 'scheduleId',
  events: 'eventId',
  users: 'adminId',
  invitations: 'invitationId',
};

const PROBE = 'probe-id';
const PROBE_IDS = new Proxy({} as Ids, { get: () => PROBE });

/** Whether an item route's query or body names other resources (so it could name a foreign one). */
export function refersToOtherResources(route: string): boolean {
  const c = ROUTE_CASES[route];
  const isItem = (route.split(' ')[1] ?? '').split('/:').length > 2;
  return isItem && JSON.stringify([c?.body?.(PROBE_IDS), c?.query?.(PROBE_IDS)]).includes(PROBE);
}

export interface BuiltRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  body?: unknown;
  /** Whether the path names a resource (not just the tenant). */
  itemRoute: boolean;
}

/** The tenant-scoped routes an app has registered. */
export function tenantRoutes(routeList: readonly string[]): string[] {
  return routeList.filter((r) => r.split(' ')[1]!.startsWith(TENANT_PREFIX));
}

const idsOf = (f: TenantFixture): Ids => ({ ...f.ids, adminId: f.admin.id });

/**
 * Builds the call of `route` in the tenant `pathTenantId`, with the resource ids of
 * `pathFixture` in the path and those of `refFixture` in the query and body. Throws on a
 * route that is not in the table or a path parameter it cannot fill.
 */
export function buildRequest(
  route: string,
  pathTenantId: string,
  pathFixture: TenantFixture,
  refFixture: TenantFixture = pathFixture,
): BuiltRequest {
  const routeCase = ROUTE_CASES[route];
  if (!routeCase) throw new Error(`no isolation case for ${route}`);
  const [method, pattern] = route.split(' ') as [BuiltRequest['method'], string];
  const pathIds = idsOf(pathFixture);
  const refIds = idsOf(refFixture);
  const segments = pattern.split('/');
  let itemRoute = false;
  const path = segments
    .map((segment, i) => {
      if (!segment.startsWith(':')) return segment;
      if (segment === ':tenantId') return pathTenantId;
      const key = ID_BY_COLLECTION[segments[i - 1] ?? ''];
      if (!key) throw new Error(`no fixture id for ${segment} after /${segments[i - 1]} in ${route}`);
      itemRoute = true;
      return pathIds[key];
    })
    .join('/');
  const query = new URLSearchParams(routeCase.query?.(refIds) ?? {}).toString();
  return {
    method,
    url: query ? `${path}?${query}` : path,
    ...(routeCase.body && { body: routeCase.body(refIds) }),
    itemRoute,
  };
}
