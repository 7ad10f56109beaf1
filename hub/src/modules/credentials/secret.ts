import { z } from 'zod';
import type { CredentialKind, SnmpAuthProtocol, SnmpPrivProtocol, SnmpSecurityLevel } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import type { SecretBox } from '../../security/secret-box.js';

/*
 * SECRET: everything in this file handles credential material in clear text. It is sealed
 * before it reaches the database and opened only for the job dispatcher; no route returns
 * it, no log line or audit entry carries it.
 */

/** The encrypted part of each kind of credential, as sealed into `credentials.secret`. */
const SECRET_SCHEMAS = {
  'snmp-community': z.object({ community: z.string().min(1) }),
  'snmp-v3': z.object({ authKey: z.string().optional(), privKey: z.string().optional() }),
  cwmp: z.object({ password: z.string() }),
} as const;

export type CommunitySecret = z.infer<(typeof SECRET_SCHEMAS)['snmp-community']>;
export type V3Secret = z.infer<(typeof SECRET_SCHEMAS)['snmp-v3']>;
export type CwmpSecret = z.infer<(typeof SECRET_SCHEMAS)['cwmp']>;
export type SecretFields = CommunitySecret | V3Secret | CwmpSecret;

/** A credential with its secret opened: what the dispatcher needs to reach a device. */
export type CredentialMaterial =
  | { id: string; name: string; kind: 'snmp-community'; version: '1' | '2c'; community: string }
  | {
      id: string;
      name: string;
      kind: 'snmp-v3';
      username: string;
      securityLevel: SnmpSecurityLevel;
      authProtocol?: SnmpAuthProtocol;
      authKey?: string;
      privProtocol?: SnmpPrivProtocol;
      privKey?: string;
    }
  | { id: string; name: string; kind: 'cwmp'; username: string; password: string };

/** A stored secret that does not open: wrong key, tampered, or copied from another row. */
export class CredentialUnreadableError extends Error {
  readonly credentialId: string;

  constructor(credentialId: string, reason: string) {
    super(`credential ${credentialId} cannot be decrypted: ${reason}`);
    this.name = 'CredentialUnreadableError';
    this.credentialId = credentialId;
  }
}

/**
 * The associated data that binds a ciphertext to its row. The demo seed and the dispatcher
 * use exactly this string, so it must never change.
 */
export function secretAad(tenantId: string, credentialId: string): string {
  return `${tenantId}:${credentialId}`;
}

export function sealSecret(
  secrets: SecretBox,
  tenantId: string,
  credentialId: string,
  fields: SecretFields,
): Buffer {
  return secrets.seal(JSON.stringify(fields), secretAad(tenantId, credentialId));
}

/** Opens and checks a sealed secret; throws `CredentialUnreadableError`, whose message holds no secret. */
export function openSecret(
  secrets: SecretBox,
  tenantId: string,
  credentialId: string,
  kind: CredentialKind,
  sealed: Uint8Array,
  keyId: string | null,
): SecretFields {
  let text: string;
  try {
    text = secrets.open(sealed, secretAad(tenantId, credentialId));
  } catch {
    const why =
      keyId && keyId !== secrets.keyId
        ? `sealed with key ${keyId}, the hub has ${secrets.keyId}`
        : 'authentication failed';
    throw new CredentialUnreadableError(credentialId, why);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CredentialUnreadableError(credentialId, 'the plaintext is not JSON');
  }
  const parsed = SECRET_SCHEMAS[kind].safeParse(value);
  if (!parsed.success)
    throw new CredentialUnreadableError(credentialId, `the plaintext is not a ${kind} secret`);
  return parsed.data;
}

interface SecretRow {
  id: string;
  name: string;
  kind: CredentialKind;
  version: string | null;
  username: string | null;
  securityLevel: SnmpSecurityLevel | null;
  authProtocol: SnmpAuthProtocol | null;
  privProtocol: SnmpPrivProtocol | null;
  secret: Uint8Array;
  keyId: string | null;
}

/**
 * Loads a credential of `tenantId` with its secret opened, for the job dispatcher; null when
 * there is no such credential. `q` must run inside `withTenant(tenantId)`. Throws
 * `CredentialUnreadableError` when the stored secret does not decrypt.
 */
export async function loadCredentialSecret(
  q: Queryable,
  secrets: SecretBox,
  tenantId: string,
  id: string,
): Promise<CredentialMaterial | null> {
  const { rows } = await q.query<SecretRow>(
    `SELECT id, name, kind, version, username, security_level AS "securityLevel",
            auth_protocol AS "authProtocol", priv_protocol AS "privProtocol", secret, key_id AS "keyId"
       FROM credentials WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  const row = rows[0];
  if (!row) return null;
  const fields = openSecret(secrets, tenantId, row.id, row.kind, row.secret, row.keyId);
  return toMaterial(row, fields);
}

function toMaterial(row: SecretRow, fields: SecretFields): CredentialMaterial {
  const base = { id: row.id, name: row.name };
  switch (row.kind) {
    case 'snmp-community':
      return {
        ...base,
        kind: 'snmp-community',
        version: row.version === '1' ? '1' : '2c',
        community: (fields as CommunitySecret).community,
      };
    case 'snmp-v3': {
      const keys = fields as V3Secret;
      return {
        ...base,
        kind: 'snmp-v3',
        username: row.username ?? '',
        securityLevel: row.securityLevel ?? 'noAuthNoPriv',
        ...(row.authProtocol && { authProtocol: row.authProtocol }),
        ...(keys.authKey !== undefined && { authKey: keys.authKey }),
        ...(row.privProtocol && { privProtocol: row.privProtocol }),
        ...(keys.privKey !== undefined && { privKey: keys.privKey }),
      };
    }
    case 'cwmp':
      return {
        ...base,
        kind: 'cwmp',
        username: row.username ?? '',
        password: (fields as CwmpSecret).password,
      };
  }
}
