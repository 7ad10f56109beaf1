import snmp from 'net-snmp';
import type { DeviceAccess } from '@drm/protocol';
import { sourceAddress } from './trap-event.js';

type V3Access = Extract<NonNullable<DeviceAccess['snmp']>, { version: '3' }>;

/** Who may send a notification, as net-snmp's receiver authorizer takes it. SECRET. */
export interface TrapAuthorization {
  /** v1/v2c communities: the devices' own and the configured extra ones. */
  communities: string[];
  /** USM users of the devices' SNMPv3 credentials, one per name. */
  users: snmp.User[];
  /** User names defined differently by two devices: the first definition is used. */
  conflicts: string[];
}

/** What the receiver knows of the sender of one notification. */
export interface TrapCredential {
  /** SECRET. */
  community?: string | undefined;
  user?: string | undefined;
}

function usmUser(access: V3Access): snmp.User {
  const user: snmp.User = { name: access.username, level: snmp.SecurityLevel[access.securityLevel] };
  if (access.authProtocol && access.authKey !== undefined) {
    user.authProtocol = snmp.AuthProtocols[access.authProtocol];
    user.authKey = access.authKey;
  }
  if (access.privProtocol && access.privKey !== undefined) {
    user.privProtocol = snmp.PrivProtocols[access.privProtocol];
    user.privKey = access.privKey;
  }
  return user;
}

function sameUser(a: snmp.User, b: snmp.User): boolean {
  return (
    a.level === b.level &&
    a.authProtocol === b.authProtocol &&
    a.authKey === b.authKey &&
    a.privProtocol === b.privProtocol &&
    a.privKey === b.privKey
  );
}

/**
 * The receiver's authorization lists from the desired state's devices plus `extraCommunities`.
 * A USM user is a name with its keys (RFC 3414 section 2.1): when two devices use one name
 * with different keys, only one can be accepted, and the first wins.
 */
export function trapAuthorization(
  devices: readonly DeviceAccess[],
  extraCommunities: readonly string[],
): TrapAuthorization {
  const communities = new Set(extraCommunities);
  const users = new Map<string, snmp.User>();
  const conflicts = new Set<string>();
  for (const device of devices) {
    const access = device.snmp;
    if (!access) continue;
    if (access.version !== '3') {
      communities.add(access.community);
      continue;
    }
    const user = usmUser(access);
    const held = users.get(user.name);
    if (!held) users.set(user.name, user);
    else if (!sameUser(held, user)) conflicts.add(user.name);
  }
  return { communities: [...communities], users: [...users.values()], conflicts: [...conflicts] };
}

function credentialOf(device: DeviceAccess): TrapCredential {
  const access = device.snmp;
  if (!access) return {};
  return access.version === '3' ? { user: access.username } : { community: access.community };
}

/**
 * Finds the device a notification came from by its source address. Several devices may share
 * an address (behind NAT, or agents on one host): the one whose credentials match the
 * notification's then wins; when that still leaves more than one, the event has no device.
 * Devices named by DNS name are not matched (the source of a datagram is an address).
 */
export class TrapDeviceIndex {
  readonly #byAddress = new Map<string, DeviceAccess[]>();

  constructor(devices: readonly DeviceAccess[]) {
    for (const device of devices) {
      const key = sourceAddress(device.address);
      const list = this.#byAddress.get(key);
      if (list) list.push(device);
      else this.#byAddress.set(key, [device]);
    }
  }

  match(address: string, credential: TrapCredential): string | undefined {
    const candidates = this.#byAddress.get(sourceAddress(address)) ?? [];
    if (candidates.length <= 1) return candidates[0]?.deviceId;
    const same = candidates.filter((d) => {
      const c = credentialOf(d);
      return credential.user !== undefined
        ? c.user === credential.user
        : credential.community !== undefined && c.community === credential.community;
    });
    return same.length === 1 ? same[0]!.deviceId : undefined;
  }
}
