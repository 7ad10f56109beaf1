import { type CredentialCreate, type CredentialUpdate, checkV3Security } from '@drm/protocol';
import { Errors, withDetails } from '../../errors.js';
import type { CredentialDescriptors, CredentialRow } from './repo.js';
import type { CommunitySecret, CwmpSecret, SecretFields, V3Secret } from './secret.js';

/** The body fields that are secrets: named in audit entries, never valued. */
const SECRET_KEYS = new Set(['community', 'authKey', 'privKey', 'password']);

export interface ComposedCredential {
  descriptors: CredentialDescriptors;
  secret: SecretFields;
}

const NO_SNMP = { securityLevel: null, authProtocol: null, privProtocol: null } as const;

/** Splits a create body into the columns stored in clear and the secret to seal. */
export function fromCreate(body: CredentialCreate): ComposedCredential {
  switch (body.kind) {
    case 'snmp-community':
      return {
        descriptors: { name: body.name, version: body.version, username: null, ...NO_SNMP },
        secret: { community: body.community },
      };
    case 'snmp-v3':
      return {
        descriptors: {
          name: body.name,
          version: '3',
          username: body.username,
          securityLevel: body.securityLevel,
          authProtocol: body.authProtocol ?? null,
          privProtocol: body.privProtocol ?? null,
        },
        secret: v3Secret(body.authKey, body.privKey),
      };
    case 'cwmp':
      return {
        descriptors: { name: body.name, version: null, username: body.username, ...NO_SNMP },
        secret: { password: body.password },
      };
  }
}

/**
 * The credential after an update. Descriptors and secrets left out are kept; a secret given
 * replaces the stored one whole. `old` is null when the stored secret no longer opens (e.g.
 * the hub's key changed): the update must then give every secret again.
 */
export function applyUpdate(
  row: CredentialRow,
  old: SecretFields | null,
  body: CredentialUpdate,
): ComposedCredential {
  const base = {
    name: body.name ?? row.name,
    version: row.version,
    username: row.username,
    ...NO_SNMP,
  };
  switch (body.kind) {
    case 'snmp-community': {
      const community = body.community ?? (old as CommunitySecret | null)?.community;
      if (community === undefined) throw unreadable('community');
      return { descriptors: { ...base, version: body.version ?? row.version }, secret: { community } };
    }
    case 'cwmp': {
      const password = body.password ?? (old as CwmpSecret | null)?.password;
      if (password === undefined) throw unreadable('password');
      return { descriptors: { ...base, username: body.username ?? row.username }, secret: { password } };
    }
    case 'snmp-v3':
      return mergeV3(row, old as V3Secret | null, body, base);
  }
}

function mergeV3(
  row: CredentialRow,
  old: V3Secret | null,
  body: Extract<CredentialUpdate, { kind: 'snmp-v3' }>,
  base: CredentialDescriptors,
): ComposedCredential {
  // A new level brings its own protocols (the schema demands them); keys it no longer uses go.
  const levelGiven = body.securityLevel !== undefined;
  const level = body.securityLevel ?? row.securityLevel ?? 'noAuthNoPriv';
  const usesAuth = level !== 'noAuthNoPriv';
  const usesPriv = level === 'authPriv';
  const merged = {
    securityLevel: level,
    authProtocol: body.authProtocol ?? (levelGiven ? undefined : (row.authProtocol ?? undefined)),
    authKey: body.authKey ?? (usesAuth ? old?.authKey : undefined),
    privProtocol: body.privProtocol ?? (levelGiven ? undefined : (row.privProtocol ?? undefined)),
    privKey: body.privKey ?? (usesPriv ? old?.privKey : undefined),
  };
  const issues: Parameters<typeof checkV3Security>[1] = [];
  checkV3Security(merged, issues);
  const first = issues[0];
  if (first) {
    const details = issues.map((i) => ({
      path: `/${(i.path ?? []).join('/')}`,
      message: i.message ?? 'is invalid',
    }));
    throw withDetails(
      new Errors.VALIDATION(`Invalid body: ${details[0]!.path} ${details[0]!.message}`),
      details,
    );
  }
  return {
    descriptors: {
      ...base,
      version: '3',
      username: body.username ?? row.username,
      securityLevel: level,
      authProtocol: merged.authProtocol ?? null,
      privProtocol: merged.privProtocol ?? null,
    },
    secret: v3Secret(merged.authKey, merged.privKey),
  };
}

function v3Secret(authKey: string | undefined, privKey: string | undefined): V3Secret {
  return { ...(authKey !== undefined && { authKey }), ...(privKey !== undefined && { privKey }) };
}

function unreadable(field: string): Error {
  const message = `${field} is required: the stored one cannot be decrypted with this hub's key`;
  return withDetails(new Errors.VALIDATION(`Invalid body: /${field} ${message}`), [
    { path: `/${field}`, message },
  ]);
}

/** Which fields an update changes, for the audit log: names only, never secret values. */
export function changedFields(body: CredentialUpdate): { changed: string[]; rotated: string[] } {
  const given = Object.keys(body).filter(
    (k) => k !== 'kind' && body[k as keyof CredentialUpdate] !== undefined,
  );
  return {
    changed: given.filter((k) => !SECRET_KEYS.has(k)),
    rotated: given.filter((k) => SECRET_KEYS.has(k)),
  };
}
