import type {
  Credential,
  CredentialCreate,
  CredentialUpdate,
  Device,
  DeviceCreate,
  DeviceQuery,
  DeviceUpdate,
  LatestSamples,
  Page,
  Sample,
  Site,
  SiteCreate,
  SiteUpdate,
} from '@drm/protocol';
import { listAll, request } from './http.js';

const t = (tenantId: string) => `/tenants/${encodeURIComponent(tenantId)}`;
const id = (value: string) => encodeURIComponent(value);

// `DeviceCreate` has defaults, so callers may leave those fields out.
type DeviceInput = Partial<DeviceCreate> & Pick<DeviceCreate, 'siteId' | 'name' | 'address'>;

export function listSites(tenantId: string, signal?: AbortSignal) {
  return listAll<Site>(`${t(tenantId)}/sites`, {}, signal ? { signal } : {});
}

export function createSite(tenantId: string, body: Partial<SiteCreate> & Pick<SiteCreate, 'name'>) {
  return request<Site>('POST', `${t(tenantId)}/sites`, { body });
}

export function updateSite(tenantId: string, siteId: string, body: SiteUpdate) {
  return request<Site>('PATCH', `${t(tenantId)}/sites/${id(siteId)}`, { body });
}

/** Refused with 409 while agents (revoked ones too) or devices are at the site. */
export function deleteSite(tenantId: string, siteId: string) {
  return request<void>('DELETE', `${t(tenantId)}/sites/${id(siteId)}`);
}

export function listDevices(
  tenantId: string,
  query: Partial<Omit<DeviceQuery, 'limit'>> & { limit?: number } = {},
  signal?: AbortSignal,
) {
  return request<Page<Device>>('GET', `${t(tenantId)}/devices`, { query, ...(signal && { signal }) });
}

export function listAllDevices(tenantId: string, signal?: AbortSignal) {
  return listAll<Device>(`${t(tenantId)}/devices`, {}, signal ? { signal } : {});
}

export function getDevice(tenantId: string, deviceId: string, signal?: AbortSignal) {
  return request<Device>('GET', `${t(tenantId)}/devices/${id(deviceId)}`, signal ? { signal } : {});
}

export function createDevice(tenantId: string, body: DeviceInput) {
  return request<Device>('POST', `${t(tenantId)}/devices`, { body });
}

export function updateDevice(tenantId: string, deviceId: string, body: DeviceUpdate) {
  return request<Device>('PATCH', `${t(tenantId)}/devices/${id(deviceId)}`, { body });
}

export function deleteDevice(tenantId: string, deviceId: string) {
  return request<void>('DELETE', `${t(tenantId)}/devices/${id(deviceId)}`);
}

export function listCredentials(tenantId: string, signal?: AbortSignal) {
  return listAll<Credential>(`${t(tenantId)}/credentials`, {}, signal ? { signal } : {});
}

export function getCredential(tenantId: string, credentialId: string, signal?: AbortSignal) {
  return request<Credential>(
    'GET',
    `${t(tenantId)}/credentials/${id(credentialId)}`,
    signal ? { signal } : {},
  );
}

export function createCredential(tenantId: string, body: CredentialCreate) {
  return request<Credential>('POST', `${t(tenantId)}/credentials`, { body });
}

export function updateCredential(tenantId: string, credentialId: string, body: CredentialUpdate) {
  return request<Credential>('PATCH', `${t(tenantId)}/credentials/${id(credentialId)}`, { body });
}

/** Refused with 409 (details `{deviceIds, scheduleIds}`) while devices or polls use it. */
export function deleteCredential(tenantId: string, credentialId: string) {
  return request<void>('DELETE', `${t(tenantId)}/credentials/${id(credentialId)}`);
}

export function getLatestSamples(tenantId: string, deviceId: string, signal?: AbortSignal) {
  return request<LatestSamples>(
    'GET',
    `${t(tenantId)}/devices/${id(deviceId)}/latest`,
    signal ? { signal } : {},
  );
}

/** Samples of one OID of one device in [from, to), oldest first. */
export function listSamples(
  tenantId: string,
  query: { deviceId: string; oid: string; from?: string; to?: string },
  signal?: AbortSignal,
) {
  return listAll<Sample>(`${t(tenantId)}/samples`, query, { max: 10_000, ...(signal && { signal }) });
}
