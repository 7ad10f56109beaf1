import { describe, expect, it } from 'vitest';
import { parseRoute, type Route, routeUrl, sectionOf } from '../../src/lib/routes.js';

const T = '11111111-1111-4111-8111-111111111111';
const D = '22222222-2222-4222-8222-222222222222';

describe('routes', () => {
  it.each<[string, Route]>([
    ['/', { name: 'home' }],
    ['/login', { name: 'login' }],
    ['/login?next=%2Ft%2Fx', { name: 'login', next: '/t/x' }],
    ['/invite', { name: 'invite' }],
    [`/t/${T}/overview`, { name: 'overview', tenantId: T }],
    [`/t/${T}/devices?q=core+sw`, { name: 'devices', tenantId: T, q: 'core sw' }],
    [`/t/${T}/devices/new`, { name: 'device-new', tenantId: T }],
    [`/t/${T}/devices/${D}`, { name: 'device', tenantId: T, deviceId: D }],
    [`/t/${T}/devices/${D}/edit`, { name: 'device-edit', tenantId: T, deviceId: D }],
    [
      `/t/${T}/jobs?status=running&kind=snmp.walk&deviceId=${D}`,
      { name: 'jobs', tenantId: T, status: 'running', kind: 'snmp.walk', deviceId: D },
    ],
    [
      `/t/${T}/jobs?status=failed&tenants=all`,
      { name: 'jobs', tenantId: T, status: 'failed', allTenants: true },
    ],
    [`/t/${T}/jobs/new?deviceId=${D}`, { name: 'job-new', tenantId: T, deviceId: D }],
    [`/t/${T}/jobs/${D}`, { name: 'job', tenantId: T, jobId: D }],
    [
      `/t/${T}/polls?kind=snmp.walk&deviceId=${D}`,
      { name: 'polls', tenantId: T, kind: 'snmp.walk', deviceId: D },
    ],
    [`/t/${T}/polls/new?deviceId=${D}`, { name: 'poll-new', tenantId: T, deviceId: D }],
    [`/t/${T}/polls/new`, { name: 'poll-new', tenantId: T }],
    [`/t/${T}/polls/${D}`, { name: 'poll', tenantId: T, scheduleId: D }],
    [`/t/${T}/events?kind=trap`, { name: 'events', tenantId: T, kind: 'trap' }],
    [`/t/${T}/agents`, { name: 'agents', tenantId: T }],
    [`/t/${T}/users`, { name: 'users', tenantId: T }],
    [`/t/${T}/audit`, { name: 'audit', tenantId: T }],
    [`/t/${T}/credentials`, { name: 'credentials', tenantId: T }],
    [`/t/${T}/credentials/new`, { name: 'credential-new', tenantId: T }],
    [`/t/${T}/credentials/new?kind=snmp-v3`, { name: 'credential-new', tenantId: T, kind: 'snmp-v3' }],
    [`/t/${T}/credentials/${D}`, { name: 'credential', tenantId: T, credentialId: D }],
    [`/t/${T}/api-tokens`, { name: 'api-tokens', tenantId: T }],
  ])('%s', (url, route) => {
    const [path, search = ''] = url.split('?');
    expect(parseRoute(path!, search)).toEqual(route);
    expect(parseRoute(...(routeUrl(route).split('?') as [string, string]))).toEqual(route);
  });

  it('a tenant without a section opens its overview', () => {
    expect(parseRoute(`/t/${T}`)).toEqual({ name: 'overview', tenantId: T });
  });

  it.each([
    '/t/not-a-uuid/devices',
    `/t/${T}/devices/not-a-uuid`,
    `/t/${T}/devices/${D}/delete`,
    `/t/${T}/nothing`,
    `/t/${T}/agents/x`,
    '/docs',
    `/t/${T}/jobs/${D}/x/y`,
    `/t/${T}/polls/not-a-uuid`,
    `/t/${T}/polls/${D}/edit`,
    `/t/${T}/credentials/not-a-uuid`,
    `/t/${T}/credentials/${D}/edit`,
    `/t/${T}/api-tokens/${D}`,
  ])('%s is not a page', (path) => {
    expect(parseRoute(path)).toEqual({ name: 'not-found', path });
  });

  it.each(['https://evil.example/', '//evil.example/x', 'javascript:alert(1)'])(
    'login never sends people off the site (%s)',
    (next) => {
      expect(parseRoute('/login', `next=${encodeURIComponent(next)}`)).toEqual({ name: 'login' });
    },
  );

  it('groups detail pages under their section', () => {
    expect(sectionOf({ name: 'device', tenantId: T, deviceId: D })).toBe('devices');
    expect(sectionOf({ name: 'job-new', tenantId: T })).toBe('jobs');
    expect(sectionOf({ name: 'poll', tenantId: T, scheduleId: D })).toBe('polls');
    expect(sectionOf({ name: 'poll-new', tenantId: T })).toBe('polls');
    expect(sectionOf({ name: 'credential', tenantId: T, credentialId: D })).toBe('credentials');
    expect(sectionOf({ name: 'credential-new', tenantId: T })).toBe('credentials');
    // The tenant switcher keeps this page: a person's tokens are the same in every tenant.
    expect(sectionOf({ name: 'api-tokens', tenantId: T })).toBe('api-tokens');
    expect(sectionOf({ name: 'login' })).toBeNull();
    expect(sectionOf({ name: 'invite' })).toBeNull();
  });
});
