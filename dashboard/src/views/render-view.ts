import { html, type TemplateResult } from 'lit';
import type { TenantMembership } from '@drm/protocol';
import type { Route } from '../lib/routes.js';
import './agents/drm-agents-view.js';
import './api-tokens/drm-api-tokens-view.js';
import './audit/drm-audit-view.js';
import './credentials/drm-credential-view.js';
import './credentials/drm-credentials-view.js';
import './devices/drm-device-form-view.js';
import './devices/drm-devices-view.js';
import './events/drm-events-view.js';
import './jobs/drm-job-new-view.js';
import './jobs/drm-job-view.js';
import './jobs/drm-jobs-view.js';
import './not-found/drm-not-found-view.js';
import './overview/drm-overview-view.js';
import './polls/drm-poll-view.js';
import './polls/drm-polls-view.js';
import './users/drm-users-view.js';

// The device page carries the charting library; it loads when first needed.
let deviceViewRequested = false;
function loadDeviceView(): void {
  if (deviceViewRequested) return;
  deviceViewRequested = true;
  import('./devices/drm-device-view.js').catch(() => {
    deviceViewRequested = false;
    // Online yet missing: the hub has a newer build whose file names changed; load it.
    if (navigator.onLine) window.location.reload();
  });
}

const TITLES: Record<Route['name'], string> = {
  login: 'Log in',
  invite: 'Invitation',
  home: 'Home',
  overview: 'Overview',
  devices: 'Devices',
  'device-new': 'Add a device',
  device: 'Device',
  'device-edit': 'Edit device',
  jobs: 'Jobs',
  'job-new': 'New job',
  job: 'Job',
  polls: 'Polls',
  'poll-new': 'New poll',
  poll: 'Poll',
  credentials: 'Credentials',
  'credential-new': 'New credential',
  credential: 'Credential',
  'api-tokens': 'API tokens',
  events: 'Events',
  agents: 'Agents',
  users: 'Users',
  audit: 'Audit log',
  'not-found': 'Not found',
};

export function viewTitle(route: Route): string {
  return TITLES[route.name];
}

/** The page for a route; a tenant the user has no role in is "not found", like the API says. */
export function renderView(route: Route, tenant: TenantMembership | undefined): TemplateResult {
  if (!('tenantId' in route) || !tenant) {
    return html`<drm-not-found-view .path=${window.location.pathname}></drm-not-found-view>`;
  }
  const t = tenant.id;
  switch (route.name) {
    case 'overview':
      return html`<drm-overview-view .tenantId=${t}></drm-overview-view>`;
    case 'devices':
      return html`<drm-devices-view .tenantId=${t} .q=${route.q ?? ''}></drm-devices-view>`;
    case 'device-new':
      return html`<drm-device-form-view .tenantId=${t}></drm-device-form-view>`;
    case 'device-edit':
      return html`<drm-device-form-view .tenantId=${t} .deviceId=${route.deviceId}></drm-device-form-view>`;
    case 'device':
      loadDeviceView();
      return html`<drm-device-view .tenantId=${t} .deviceId=${route.deviceId}></drm-device-view>`;
    case 'jobs':
      return html`<drm-jobs-view
        .tenantId=${t}
        .status=${route.status ?? ''}
        .kind=${route.kind ?? ''}
        .deviceId=${route.deviceId ?? ''}
        .allTenants=${route.allTenants ?? false}
      ></drm-jobs-view>`;
    case 'job-new':
      return html`<drm-job-new-view
        .tenantId=${t}
        .deviceId=${route.deviceId ?? ''}
        .kind=${route.kind ?? 'snmp.get'}
      ></drm-job-new-view>`;
    case 'job':
      return html`<drm-job-view .tenantId=${t} .jobId=${route.jobId}></drm-job-view>`;
    case 'polls':
      return html`<drm-polls-view .tenantId=${t} .kind=${route.kind ?? ''} .deviceId=${route.deviceId ?? ''}></drm-polls-view>`;
    case 'poll-new':
      return html`<drm-poll-view .tenantId=${t} .deviceId=${route.deviceId ?? ''}></drm-poll-view>`;
    case 'poll':
      return html`<drm-poll-view .tenantId=${t} .scheduleId=${route.scheduleId}></drm-poll-view>`;
    case 'credentials':
      return html`<drm-credentials-view .tenantId=${t}></drm-credentials-view>`;
    case 'credential-new':
      return html`<drm-credential-view .tenantId=${t} .kind=${route.kind ?? 'snmp-community'}></drm-credential-view>`;
    case 'credential':
      return html`<drm-credential-view .tenantId=${t} .credentialId=${route.credentialId}></drm-credential-view>`;
    case 'api-tokens':
      return html`<drm-api-tokens-view .tenantId=${t}></drm-api-tokens-view>`;
    case 'events':
      return html`<drm-events-view .tenantId=${t} .kind=${route.kind ?? ''} .deviceId=${route.deviceId ?? ''}></drm-events-view>`;
    case 'agents':
      return html`<drm-agents-view .tenantId=${t}></drm-agents-view>`;
    case 'users':
      return html`<drm-users-view .tenantId=${t}></drm-users-view>`;
    case 'audit':
      return html`<drm-audit-view .tenantId=${t}></drm-audit-view>`;
  }
}
