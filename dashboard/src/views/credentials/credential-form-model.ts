import {
  type Credential,
  CredentialCreate,
  type CredentialKind,
  CredentialUpdate,
  type Device,
  type ScheduleDto,
  type SnmpVersion,
} from '@drm/protocol';
import { ApiError } from '../../api/errors.js';
import type { CredentialUsage } from '../../lib/credentials.js';
import { issueFields } from '../../lib/issues.js';
import { type CredentialChoice, emptyCredential, newCredentialBody } from '../devices/device-form-model.js';

/**
 * The credential page's fields as the inputs hold them: the device form's `CredentialChoice`
 * (mode `new` to create, `existing` to edit) with the kind and, for a community, its version.
 * Secret fields stay empty for a credential that exists: empty keeps the stored secret.
 */
export interface CredentialFormModel extends CredentialChoice {
  kind: CredentialKind;
  version: '1' | '2c';
}

type V3Update = Extract<CredentialUpdate, { kind: 'snmp-v3' }>;

export function emptyCredentialForm(kind: CredentialKind = 'snmp-community'): CredentialFormModel {
  return { ...emptyCredential(), mode: 'new', kind, version: '2c' };
}

/** The form for a stored credential: its descriptors filled in, every secret empty ("keep"). */
export function credentialFormFrom(c: Credential): CredentialFormModel {
  const blank = emptyCredential(c.id);
  return {
    ...blank,
    kind: c.kind,
    version: c.version === '1' ? '1' : '2c',
    name: c.name,
    username: c.username ?? '',
    securityLevel: c.securityLevel ?? blank.securityLevel,
    authProtocol: c.authProtocol ?? blank.authProtocol,
    privProtocol: c.privProtocol ?? blank.privProtocol,
  };
}

const snmpUse = (m: CredentialFormModel) => (m.kind === 'cwmp' ? 'cwmp' : 'snmp') as 'snmp' | 'cwmp';
const snmpVersion = (m: CredentialFormModel): SnmpVersion => (m.kind === 'snmp-v3' ? '3' : m.version);

/** Problems a person should hear in plain words before the schema's own wording. */
function checkText(m: CredentialFormModel, errors: Map<string, string>, creating: boolean): void {
  if (m.name.trim() === '') errors.set('name', 'Give the credential a name');
  if (m.kind !== 'snmp-community' && m.username.trim() === '') errors.set('username', 'Enter the user name');
  if (!creating) return;
  if (m.kind === 'snmp-community' && m.community === '') errors.set('community', 'Enter the community');
  if (m.kind === 'cwmp' && m.password === '') errors.set('password', 'Enter the password');
  if (m.kind === 'snmp-v3') {
    if (m.securityLevel !== 'noAuthNoPriv' && m.authKey === '')
      errors.set('authKey', 'Enter the auth key (at least 8 characters)');
    if (m.securityLevel === 'authPriv' && m.privKey === '')
      errors.set('privKey', 'Enter the privacy key (at least 8 characters)');
  }
}

/** Keys shorter than RFC 3414's minimum passphrase, said as such rather than as a schema limit. */
function checkKeys(m: CredentialFormModel, errors: Map<string, string>): void {
  if (m.kind !== 'snmp-v3') return;
  for (const [field, value] of [
    ['authKey', m.authKey],
    ['privKey', m.privKey],
  ] as const) {
    if (value !== '' && value.length < 8 && !errors.has(field)) {
      errors.set(field, 'At least 8 characters (RFC 3414 section 11.2)');
    }
  }
}

/**
 * The request to create the credential, checked with the schema the hub uses, or the problems
 * keyed by field (`name`, `community`, `authKey`…).
 */
export function buildCredentialCreate(m: CredentialFormModel): {
  body: CredentialCreate | null;
  errors: Map<string, string>;
} {
  const errors = new Map<string, string>();
  checkText(m, errors, true);
  checkKeys(m, errors);
  const parsed = CredentialCreate.safeParse(newCredentialBody(m, snmpUse(m), snmpVersion(m)));
  if (!parsed.success) issueFields(parsed.error.issues, '', errors);
  return errors.size > 0 ? { body: null, errors } : { body: parsed.data ?? null, errors };
}

/**
 * SNMPv3 changes: the level and the protocols it uses travel together (the schema wants the
 * protocols with a level), keys only when typed. A level that adds authentication or privacy
 * needs the key the stored credential does not have.
 */
function v3Changes(
  m: CredentialFormModel,
  stored: Credential,
  errors: Map<string, string>,
): Partial<V3Update> {
  const auth = m.securityLevel !== 'noAuthNoPriv';
  const priv = m.securityLevel === 'authPriv';
  const before = stored.securityLevel ?? 'noAuthNoPriv';
  const changed =
    m.securityLevel !== before ||
    (auth && m.authProtocol !== stored.authProtocol) ||
    (priv && m.privProtocol !== stored.privProtocol);
  if (auth && before === 'noAuthNoPriv' && m.authKey === '')
    errors.set('authKey', 'Enter an auth key: this credential had none until now');
  if (priv && before !== 'authPriv' && m.privKey === '')
    errors.set('privKey', 'Enter a privacy key: this credential had none until now');
  return {
    ...(m.username !== stored.username && { username: m.username }),
    ...(changed && { securityLevel: m.securityLevel }),
    ...(changed && auth && { authProtocol: m.authProtocol }),
    ...(changed && priv && { privProtocol: m.privProtocol }),
    ...(auth && m.authKey !== '' && { authKey: m.authKey }),
    ...(priv && m.privKey !== '' && { privKey: m.privKey }),
  };
}

/**
 * The change to a stored credential: only what differs from `stored`, and a secret only when
 * one was typed (the hub keeps the stored secret for every one left out). `body` holds only
 * `kind` when nothing changed.
 */
export function buildCredentialUpdate(
  m: CredentialFormModel,
  stored: Credential,
): { body: CredentialUpdate | null; errors: Map<string, string> } {
  const errors = new Map<string, string>();
  checkText(m, errors, false);
  checkKeys(m, errors);
  const name = m.name.trim() !== stored.name ? { name: m.name.trim() } : {};
  let raw: Record<string, unknown>;
  switch (stored.kind) {
    case 'snmp-community':
      raw = {
        ...name,
        ...(m.version !== (stored.version ?? '2c') && { version: m.version }),
        ...(m.community !== '' && { community: m.community }),
      };
      break;
    case 'cwmp':
      raw = {
        ...name,
        ...(m.username !== stored.username && { username: m.username }),
        ...(m.password !== '' && { password: m.password }),
      };
      break;
    case 'snmp-v3':
      raw = { ...name, ...v3Changes(m, stored, errors) };
      break;
  }
  const parsed = CredentialUpdate.safeParse({ kind: stored.kind, ...raw });
  if (!parsed.success) issueFields(parsed.error.issues, '', errors);
  return errors.size > 0 ? { body: null, errors } : { body: parsed.data ?? null, errors };
}

/** An update that changes nothing: only its `kind`. */
export function isEmptyUpdate(body: CredentialUpdate): boolean {
  return Object.keys(body).every((k) => k === 'kind');
}

/** What the hub said about a refused delete: the devices and polls still using the credential. */
export interface DeleteRefusal {
  message: string;
  deviceIds: string[];
  scheduleIds: string[];
}

/**
 * The hub's 409 for a credential in use (`details: {deviceIds, scheduleIds}`), or null for any
 * other error, which the page shows as usual.
 */
export function deleteRefusal(err: unknown): DeleteRefusal | null {
  if (!(err instanceof ApiError) || err.status !== 409) return null;
  const d = (err.details ?? {}) as { deviceIds?: unknown; scheduleIds?: unknown };
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { message: err.message, deviceIds: ids(d.deviceIds), scheduleIds: ids(d.scheduleIds) };
}

/** The devices and polls a refusal names, among those the page has loaded. */
export function refusedBy(refusal: DeleteRefusal, devices: Device[], polls: ScheduleDto[]): CredentialUsage {
  const d = new Set(refusal.deviceIds.map((x) => x.toLowerCase()));
  const p = new Set(refusal.scheduleIds.map((x) => x.toLowerCase()));
  return {
    devices: devices.filter((x) => d.has(x.id.toLowerCase())),
    polls: polls.filter((x) => p.has(x.id.toLowerCase())),
  };
}
