import type {
  Credential,
  CredentialKind,
  Device,
  ScheduleDto,
  SnmpAuthProtocol,
  SnmpPrivProtocol,
  SnmpSecurityLevel,
} from '@drm/protocol';

/** The kinds of credential in words, in the order a form offers them. */
export const KIND_LABELS: Record<CredentialKind, string> = {
  'snmp-community': 'SNMP community (v1, v2c)',
  'snmp-v3': 'SNMPv3 user',
  cwmp: 'CWMP login (TR-069)',
};

/** RFC 3414 section 3.4 names the levels; the words say what each one protects. */
export const LEVEL_LABELS: Record<SnmpSecurityLevel, string> = {
  authPriv: 'authPriv: authenticated and encrypted',
  authNoPriv: 'authNoPriv: authenticated, not encrypted',
  noAuthNoPriv: 'noAuthNoPriv: neither',
};

/** HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414), the HMAC-SHA-2 family (RFC 7860). */
export const AUTH_LABELS: Record<SnmpAuthProtocol, string> = {
  md5: 'MD5',
  sha: 'SHA-1',
  sha224: 'SHA-224',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
};

/** CBC-DES (RFC 3414), AES-128-CFB (RFC 3826), and AES-256 with Blumenthal's or Reeder's key extension. */
export const PRIV_LABELS: Record<SnmpPrivProtocol, string> = {
  des: 'DES',
  aes: 'AES-128',
  aes256b: 'AES-256 (Blumenthal)',
  aes256r: 'AES-256 (Reeder)',
};

/** The version column of the list: SNMP's version, or "—" for CWMP. */
export function versionLabel(c: Pick<Credential, 'kind' | 'version'>): string {
  if (c.kind === 'snmp-v3') return 'v3';
  if (c.kind === 'snmp-community') return `v${c.version ?? '2c'}`;
  return '—';
}

/** What a credential is, in one line and without its secret: "user ops, authPriv, SHA-256 and AES-128". */
export function credentialSummary(c: Credential): string {
  if (c.kind === 'snmp-community') return `SNMP ${versionLabel(c)} community`;
  if (c.kind === 'cwmp') return c.username ? `CWMP user ${c.username}` : 'CWMP login';
  const level = c.securityLevel ?? 'noAuthNoPriv';
  const protocols = [
    c.authProtocol && AUTH_LABELS[c.authProtocol],
    c.privProtocol && PRIV_LABELS[c.privProtocol],
  ].filter(Boolean);
  const user = c.username ? `user ${c.username}, ` : '';
  return `${user}${level}${protocols.length ? `, ${protocols.join(' and ')}` : ''}`;
}

/** What refers to one credential: devices through their SNMP or TR-181 access, polls through their params. */
export interface CredentialUsage {
  devices: Device[];
  polls: ScheduleDto[];
}

const EMPTY: CredentialUsage = { devices: [], polls: [] };

/**
 * Who uses each credential, by credential id (lower case: ids compare case-insensitively, as
 * the hub's in-use check does). The hub refuses to delete a credential anything here refers to.
 */
export function credentialUsage(devices: Device[], polls: ScheduleDto[]): Map<string, CredentialUsage> {
  const out = new Map<string, CredentialUsage>();
  const entry = (id: string) => {
    const key = id.toLowerCase();
    let usage = out.get(key);
    if (!usage) {
      usage = { devices: [], polls: [] };
      out.set(key, usage);
    }
    return usage;
  };
  for (const d of devices) {
    const ids = [d.snmp?.credentialId, d.tr181?.credentialId].flatMap((x) => (x ? [x.toLowerCase()] : []));
    for (const id of new Set(ids)) entry(id).devices.push(d);
  }
  for (const p of polls) {
    const id = p.params.credentialId;
    if (id) entry(id).polls.push(p);
  }
  return out;
}

/** The usage of one credential (none when nothing refers to it). */
export function usageOf(usage: ReadonlyMap<string, CredentialUsage>, credentialId: string): CredentialUsage {
  return usage.get(credentialId.toLowerCase()) ?? EMPTY;
}

/** "2 devices, 1 poll", or "Nothing". */
export function usageText(u: CredentialUsage): string {
  const parts = [
    u.devices.length > 0 && `${u.devices.length} device${u.devices.length === 1 ? '' : 's'}`,
    u.polls.length > 0 && `${u.polls.length} poll${u.polls.length === 1 ? '' : 's'}`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'Nothing';
}
