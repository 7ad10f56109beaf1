import type { CredentialKind, EventKind, JobKind, JobStatus, ScheduleKind } from '@drm/protocol';

/**
 * The dashboard's addresses. Everything signed-in lives under `/t/{tenantId}/…`, so a link
 * names the tenant it shows and can be shared with a colleague of that tenant; the hub serves
 * the app for `/`, `/login`, `/invite` and `/t/*` (history API routing; only an invitation's
 * token rides in a `#` fragment, so that it never reaches a server log).
 */
export type Route =
  | { name: 'login'; next?: string }
  /** An invitation's page; its token is in the address's fragment, not in the route. */
  | { name: 'invite' }
  | { name: 'home' }
  | { name: 'overview'; tenantId: string }
  | { name: 'devices'; tenantId: string; q?: string }
  | { name: 'device-new'; tenantId: string }
  | { name: 'device'; tenantId: string; deviceId: string }
  | { name: 'device-edit'; tenantId: string; deviceId: string }
  /** `allTenants`: the jobs of every tenant the user has a role in, from this tenant's frame. */
  | {
      name: 'jobs';
      tenantId: string;
      status?: JobStatus;
      kind?: JobKind;
      deviceId?: string;
      allTenants?: true;
    }
  | { name: 'job-new'; tenantId: string; deviceId?: string; kind?: JobKind }
  | { name: 'job'; tenantId: string; jobId: string }
  | { name: 'polls'; tenantId: string; kind?: ScheduleKind; deviceId?: string }
  | { name: 'poll-new'; tenantId: string; deviceId?: string }
  | { name: 'poll'; tenantId: string; scheduleId: string }
  | { name: 'credentials'; tenantId: string }
  | { name: 'credential-new'; tenantId: string; kind?: CredentialKind }
  | { name: 'credential'; tenantId: string; credentialId: string }
  | { name: 'events'; tenantId: string; kind?: EventKind; deviceId?: string }
  | { name: 'agents'; tenantId: string }
  | { name: 'users'; tenantId: string }
  | { name: 'audit'; tenantId: string }
  /** The signed-in user's API tokens; under a tenant for the page frame, the same in each. */
  | { name: 'api-tokens'; tenantId: string }
  | { name: 'not-found'; path: string };

export type TenantRoute = Extract<Route, { tenantId: string }>;
export type RouteName = Route['name'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function opt<K extends string>(key: K, value: string | null): { [P in K]?: string } {
  return (value ? { [key]: value } : {}) as { [P in K]?: string };
}

/** The route of a location; anything unknown is `not-found` (never a silent redirect). */
export function parseRoute(pathname: string, search = ''): Route {
  const q = new URLSearchParams(search);
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'home' };
  if (parts[0] === 'login' && parts.length === 1) {
    const next = q.get('next');
    // Only a path of this app: an absolute URL here would make the login page an open redirect.
    return next?.startsWith('/') && !next.startsWith('//') ? { name: 'login', next } : { name: 'login' };
  }
  if (parts[0] === 'invite' && parts.length === 1) return { name: 'invite' };
  const [t, tenantId = '', section = 'overview', id, action, ...rest] = parts;
  if (t !== 't' || !UUID.test(tenantId) || rest.length > 0) return { name: 'not-found', path: pathname };
  const base = { tenantId };
  switch (section) {
    case 'overview':
    case 'agents':
    case 'users':
    case 'audit':
    case 'api-tokens':
      return id === undefined ? { name: section, ...base } : { name: 'not-found', path: pathname };
    case 'devices':
      if (id === undefined) return { name: 'devices', ...base, ...opt('q', q.get('q')) };
      if (id === 'new' && !action) return { name: 'device-new', ...base };
      if (!UUID.test(id)) break;
      if (!action) return { name: 'device', ...base, deviceId: id };
      if (action === 'edit') return { name: 'device-edit', ...base, deviceId: id };
      break;
    case 'jobs':
      if (id === undefined) {
        return {
          name: 'jobs',
          ...base,
          ...(opt('status', q.get('status')) as { status?: JobStatus }),
          ...(opt('kind', q.get('kind')) as { kind?: JobKind }),
          ...opt('deviceId', q.get('deviceId')),
          ...(q.get('tenants') === 'all' && { allTenants: true as const }),
        };
      }
      if (id === 'new' && !action) {
        return {
          name: 'job-new',
          ...base,
          ...opt('deviceId', q.get('deviceId')),
          ...(opt('kind', q.get('kind')) as { kind?: JobKind }),
        };
      }
      if (UUID.test(id) && !action) return { name: 'job', ...base, jobId: id };
      break;
    case 'polls':
      if (id === undefined) {
        return {
          name: 'polls',
          ...base,
          ...(opt('kind', q.get('kind')) as { kind?: ScheduleKind }),
          ...opt('deviceId', q.get('deviceId')),
        };
      }
      if (id === 'new' && !action)
        return { name: 'poll-new', ...base, ...opt('deviceId', q.get('deviceId')) };
      if (UUID.test(id) && !action) return { name: 'poll', ...base, scheduleId: id };
      break;
    case 'credentials':
      if (id === undefined) return { name: 'credentials', ...base };
      if (id === 'new' && !action) {
        return {
          name: 'credential-new',
          ...base,
          ...(opt('kind', q.get('kind')) as { kind?: CredentialKind }),
        };
      }
      if (UUID.test(id) && !action) return { name: 'credential', ...base, credentialId: id };
      break;
    case 'events':
      if (id === undefined) {
        return {
          name: 'events',
          ...base,
          ...(opt('kind', q.get('kind')) as { kind?: EventKind }),
          ...opt('deviceId', q.get('deviceId')),
        };
      }
      break;
  }
  return { name: 'not-found', path: pathname };
}

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The address of a route; `parseRoute(routeUrl(r))` gives `r` back. */
export function routeUrl(route: Route): string {
  if (route.name === 'login') return withQuery('/login', { next: route.next });
  if (route.name === 'home') return '/';
  if (route.name === 'invite') return '/invite';
  if (route.name === 'not-found') return route.path;
  const t = `/t/${encodeURIComponent(route.tenantId)}`;
  switch (route.name) {
    case 'overview':
    case 'agents':
    case 'users':
    case 'audit':
    case 'api-tokens':
    case 'credentials':
      return `${t}/${route.name}`;
    case 'devices':
      return withQuery(`${t}/devices`, { q: route.q });
    case 'device-new':
      return `${t}/devices/new`;
    case 'device':
      return `${t}/devices/${route.deviceId}`;
    case 'device-edit':
      return `${t}/devices/${route.deviceId}/edit`;
    case 'jobs':
      return withQuery(`${t}/jobs`, {
        status: route.status,
        kind: route.kind,
        deviceId: route.deviceId,
        tenants: route.allTenants ? 'all' : undefined,
      });
    case 'job-new':
      return withQuery(`${t}/jobs/new`, { deviceId: route.deviceId, kind: route.kind });
    case 'job':
      return `${t}/jobs/${route.jobId}`;
    case 'polls':
      return withQuery(`${t}/polls`, { kind: route.kind, deviceId: route.deviceId });
    case 'poll-new':
      return withQuery(`${t}/polls/new`, { deviceId: route.deviceId });
    case 'poll':
      return `${t}/polls/${route.scheduleId}`;
    case 'credential-new':
      return withQuery(`${t}/credentials/new`, { kind: route.kind });
    case 'credential':
      return `${t}/credentials/${route.credentialId}`;
    case 'events':
      return withQuery(`${t}/events`, { kind: route.kind, deviceId: route.deviceId });
  }
}

/** The section a route belongs to, for the navigation's current item. */
export function sectionOf(route: Route): string | null {
  switch (route.name) {
    case 'device':
    case 'device-new':
    case 'device-edit':
      return 'devices';
    case 'job':
    case 'job-new':
      return 'jobs';
    case 'poll':
    case 'poll-new':
      return 'polls';
    case 'credential':
    case 'credential-new':
      return 'credentials';
    case 'overview':
    case 'devices':
    case 'jobs':
    case 'polls':
    case 'events':
    case 'agents':
    case 'users':
    case 'audit':
    case 'credentials':
    case 'api-tokens':
      return route.name;
    default:
      return null;
  }
}
