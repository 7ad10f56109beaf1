import {
  CredentialCreate,
  CredentialUpdate,
  type Device,
  DeviceCreate,
  type SnmpAuthProtocol,
  type SnmpPrivProtocol,
  type SnmpSecurityLevel,
  type SnmpVersion,
} from '@drm/protocol';
import { issueFields } from '../../lib/issues.js';

/**
 * How a device form picks its credential: none, one that exists, or a new one made on save.
 * Secret fields are write-only: with an existing credential they stay empty unless the person
 * types a new secret ("leave empty to keep").
 */
export interface CredentialChoice {
  mode: 'none' | 'existing' | 'new';
  credentialId: string;
  name: string;
  community: string;
  username: string;
  securityLevel: SnmpSecurityLevel;
  authProtocol: SnmpAuthProtocol;
  authKey: string;
  privProtocol: SnmpPrivProtocol;
  privKey: string;
  password: string;
}

/** A device form's fields as text, the way inputs hold them. */
export interface DeviceFormModel {
  name: string;
  address: string;
  siteId: string;
  agentId: string;
  description: string;
  tags: string;
  snmpEnabled: boolean;
  snmpVersion: SnmpVersion;
  port: string;
  timeoutMs: string;
  retries: string;
  maxRepetitions: string;
  snmpCred: CredentialChoice;
  tr181Enabled: boolean;
  tr181Url: string;
  tr181Cred: CredentialChoice;
}

export function emptyCredential(credentialId?: string | null): CredentialChoice {
  return {
    mode: credentialId ? 'existing' : 'new',
    credentialId: credentialId ?? '',
    name: '',
    community: '',
    username: '',
    securityLevel: 'authPriv',
    authProtocol: 'sha256',
    authKey: '',
    privProtocol: 'aes',
    privKey: '',
    password: '',
  };
}

export function modelFromDevice(device?: Device, defaults: { siteId?: string } = {}): DeviceFormModel {
  const snmp = device?.snmp;
  const tr = device?.tr181;
  return {
    name: device?.name ?? '',
    address: device?.address ?? '',
    siteId: device?.siteId ?? defaults.siteId ?? '',
    agentId: device?.agentId ?? '',
    description: device?.description ?? '',
    tags: device?.tags.join(', ') ?? '',
    snmpEnabled: device ? snmp !== null : true,
    snmpVersion: snmp?.version ?? '2c',
    port: String(snmp?.port ?? 161),
    timeoutMs: String(snmp?.timeoutMs ?? 2000),
    retries: String(snmp?.retries ?? 1),
    maxRepetitions: String(snmp?.maxRepetitions ?? 25),
    snmpCred: emptyCredential(snmp?.credentialId),
    tr181Enabled: !!tr,
    tr181Url: tr?.url ?? '',
    tr181Cred: emptyCredential(tr?.credentialId),
  };
}

function num(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

/** The request body for the device, with the credential ids the save has settled on. */
export function deviceBody(m: DeviceFormModel, ids: { snmp: string | null; tr181: string | null }) {
  return {
    name: m.name,
    address: m.address.trim(),
    siteId: m.siteId,
    agentId: m.agentId || null,
    description: m.description,
    tags: m.tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    snmp: m.snmpEnabled
      ? {
          version: m.snmpVersion,
          port: num(m.port),
          credentialId: ids.snmp,
          timeoutMs: num(m.timeoutMs),
          retries: num(m.retries),
          maxRepetitions: num(m.maxRepetitions),
        }
      : null,
    tr181: m.tr181Enabled
      ? {
          ...(m.tr181Url.trim() && { url: m.tr181Url.trim() }),
          ...(ids.tr181 && { credentialId: ids.tr181 }),
        }
      : null,
  };
}

const opt = (v: string) => (v === '' ? undefined : v);

function v3Keys(c: CredentialChoice, keep: boolean) {
  const auth = c.securityLevel !== 'noAuthNoPriv';
  const priv = c.securityLevel === 'authPriv';
  return {
    securityLevel: c.securityLevel,
    ...(auth && { authProtocol: c.authProtocol }),
    ...(auth && (keep ? opt(c.authKey) !== undefined : true) && { authKey: c.authKey }),
    ...(priv && { privProtocol: c.privProtocol }),
    ...(priv && (keep ? opt(c.privKey) !== undefined : true) && { privKey: c.privKey }),
  };
}

/** The body that creates a new credential for the device's SNMP profile or its TR-181 access. */
export function newCredentialBody(
  c: CredentialChoice,
  use: 'snmp' | 'cwmp',
  version: SnmpVersion,
): CredentialCreate {
  if (use === 'cwmp') return { kind: 'cwmp', name: c.name, username: c.username, password: c.password };
  if (version === '3') return { kind: 'snmp-v3', name: c.name, username: c.username, ...v3Keys(c, false) };
  return { kind: 'snmp-community', name: c.name, version, community: c.community };
}

/**
 * The update of an existing credential when the person typed a new secret, else `null`: an
 * empty secret field keeps the stored one (the hub never sends it back to show).
 */
export function secretUpdate(
  c: CredentialChoice,
  use: 'snmp' | 'cwmp',
  version: SnmpVersion,
): CredentialUpdate | null {
  if (c.mode !== 'existing') return null;
  if (use === 'cwmp') return c.password ? { kind: 'cwmp', password: c.password } : null;
  if (version === '3') {
    if (!c.authKey && !c.privKey) return null;
    return { kind: 'snmp-v3', ...v3Keys(c, true) };
  }
  return c.community ? { kind: 'snmp-community', community: c.community } : null;
}

/** Problems with the form before it goes to the hub, keyed like the hub's details (`snmp.port`). */
export function validateDeviceForm(m: DeviceFormModel): Map<string, string> {
  const placeholder = '00000000-0000-4000-8000-000000000000';
  const errors = new Map<string, string>();
  const body = deviceBody(m, {
    snmp: m.snmpCred.mode === 'none' ? null : placeholder,
    tr181: m.tr181Cred.mode === 'none' ? null : placeholder,
  });
  const device = DeviceCreate.safeParse(body);
  if (!device.success) issueFields(device.error.issues, '', errors);
  if (!m.siteId) errors.set('siteId', 'Choose the site the device is at');
  const creds = [
    [m.snmpEnabled, m.snmpCred, 'snmp', 'snmpCred'],
    [m.tr181Enabled, m.tr181Cred, 'cwmp', 'tr181Cred'],
  ] as const;
  for (const [enabled, choice, use, prefix] of creds) {
    if (!enabled) continue;
    if (choice.mode === 'existing' && !choice.credentialId)
      errors.set(`${prefix}.credentialId`, 'Choose a credential');
    if (choice.mode === 'new') {
      const parsed = CredentialCreate.safeParse(newCredentialBody(choice, use, m.snmpVersion));
      if (!parsed.success) issueFields(parsed.error.issues, prefix, errors);
    }
    const update = secretUpdate(choice, use, m.snmpVersion);
    if (update) {
      const parsed = CredentialUpdate.safeParse(update);
      if (!parsed.success) issueFields(parsed.error.issues, prefix, errors);
    }
  }
  return errors;
}
