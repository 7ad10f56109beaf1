import {
  type DeviceAccess,
  SNMP_DEFAULTS,
  type SnmpAccess,
  type SnmpProfile,
  type SnmpVersion,
  type Tr181Access,
  type Tr181Profile,
} from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import type { SecretBox } from '../../security/secret-box.js';
import { type CredentialMaterial, CredentialUnreadableError, loadCredentialSecret } from './secret.js';

/*
 * SECRET: the access material built here carries communities, keys and passwords in clear
 * text. It goes only into MQTT messages to the device's own agent; never log it.
 */

/**
 * The community of a v1/v2c profile without a credential. The device API allows such a
 * profile, and the protocol has no way to say "the agent's default", so the hub resolves it
 * to the customary read community (RFC 1157 section 3.2.5 examples, and every vendor's default).
 */
export const DEFAULT_COMMUNITY = 'public';

/** What the resolver needs to know about a device. */
export interface AccessDevice {
  id: string;
  address: string;
  snmp: SnmpProfile | null;
  tr181: Tr181Profile | null;
}

/** A job's SNMP overrides (`params.credentialId`, `params.version`). */
export interface SnmpOverrides {
  credentialId?: string | undefined;
  version?: SnmpVersion | undefined;
}

/** Access material, or why there is none; `reason` never holds a secret. */
export type Resolved<T> = { ok: true; access: T } | { ok: false; reason: string };

export interface AccessResolver {
  snmp(device: AccessDevice, overrides?: SnmpOverrides): Promise<Resolved<SnmpAccess>>;
  tr181(device: AccessDevice): Promise<Resolved<Tr181Access>>;
  /** The device with the access a job kind needs: SNMP for `snmp.*`, TR-181 otherwise. */
  forJob(device: AccessDevice, kind: string, overrides?: SnmpOverrides): Promise<Resolved<DeviceAccess>>;
}

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/**
 * Resolves devices' access material inside the caller's tenant transaction. Each credential
 * is decrypted at most once per resolver, so a job over a thousand devices sharing one
 * community opens it once.
 */
export function createAccessResolver(q: Queryable, secrets: SecretBox, tenantId: string): AccessResolver {
  const cache = new Map<string, Promise<CredentialMaterial | null>>();
  const load = async (id: string): Promise<Resolved<CredentialMaterial>> => {
    const key = id.toLowerCase();
    let pending = cache.get(key);
    if (!pending) {
      pending = loadCredentialSecret(q, secrets, tenantId, key);
      cache.set(key, pending);
    }
    try {
      const material = await pending;
      return material ? { ok: true, access: material } : fail(`credential ${id} no longer exists`);
    } catch (err) {
      if (err instanceof CredentialUnreadableError) return fail(err.message);
      throw err;
    }
  };

  const resolver: AccessResolver = {
    async snmp(device, overrides = {}) {
      const profile = device.snmp;
      const credentialId = overrides.credentialId ?? profile?.credentialId ?? null;
      if (!profile && !credentialId) return fail('the device has no SNMP profile');
      const loaded = credentialId ? await load(credentialId) : null;
      if (loaded && !loaded.ok) return loaded;
      return snmpAccess(profile, overrides, loaded?.access ?? null);
    },

    async tr181(device) {
      const profile = device.tr181;
      if (!profile) return fail('the device has no TR-181 profile');
      if (!profile.url) return fail('the device’s TR-181 profile has no URL');
      if (!profile.credentialId) return { ok: true, access: { url: profile.url } };
      const loaded = await load(profile.credentialId);
      if (!loaded.ok) return loaded;
      const cred = loaded.access;
      if (cred.kind !== 'cwmp') return fail(`credential ${cred.id} is ${cred.kind}, TR-181 needs cwmp`);
      return { ok: true, access: { url: profile.url, username: cred.username, password: cred.password } };
    },

    async forJob(device, kind, overrides) {
      const base = { deviceId: device.id, address: device.address };
      if (kind.startsWith('snmp.')) {
        const snmp = await resolver.snmp(device, overrides);
        return snmp.ok ? { ok: true, access: { ...base, snmp: snmp.access } } : snmp;
      }
      const tr181 = await resolver.tr181(device);
      return tr181.ok ? { ok: true, access: { ...base, tr181: tr181.access } } : tr181;
    },
  };
  return resolver;
}

/**
 * The version comes from the job's override first; then from the credential when the job
 * chose it (a community credential knows its version), else from the device's profile.
 */
function snmpAccess(
  profile: SnmpProfile | null,
  overrides: SnmpOverrides,
  cred: CredentialMaterial | null,
): Resolved<SnmpAccess> {
  const timing = {
    port: profile?.port ?? SNMP_DEFAULTS.port,
    ...(profile?.timeoutMs !== undefined && { timeoutMs: profile.timeoutMs }),
    ...(profile?.retries !== undefined && { retries: profile.retries }),
    ...(profile?.maxRepetitions !== undefined && { maxRepetitions: profile.maxRepetitions }),
  };
  if (cred?.kind === 'snmp-v3') {
    if (overrides.version && overrides.version !== '3') {
      return fail(`SNMP v${overrides.version} needs a community credential, ${cred.id} is snmp-v3`);
    }
    return {
      ok: true,
      access: {
        version: '3',
        ...timing,
        username: cred.username,
        securityLevel: cred.securityLevel,
        ...(cred.authProtocol && { authProtocol: cred.authProtocol }),
        ...(cred.authKey !== undefined && { authKey: cred.authKey }),
        ...(cred.privProtocol && { privProtocol: cred.privProtocol }),
        ...(cred.privKey !== undefined && { privKey: cred.privKey }),
      },
    };
  }
  if (cred && cred.kind !== 'snmp-community') return fail(`credential ${cred.id} is ${cred.kind}, not SNMP`);
  const chosen = overrides.credentialId && cred ? cred.version : profile?.version;
  const version = overrides.version ?? chosen ?? cred?.version ?? '2c';
  if (version === '3') return fail('SNMP v3 needs an snmp-v3 credential');
  return { ok: true, access: { version, ...timing, community: cred?.community ?? DEFAULT_COMMUNITY } };
}
