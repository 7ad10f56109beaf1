import type { CredentialKind, SnmpAuthProtocol, SnmpPrivProtocol, SnmpSecurityLevel } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

/** The non-secret columns of a credential, safe to return. */
export interface CredentialDescriptors {
  name: string;
  version: string | null;
  username: string | null;
  securityLevel: SnmpSecurityLevel | null;
  authProtocol: SnmpAuthProtocol | null;
  privProtocol: SnmpPrivProtocol | null;
}

export interface CredentialRow extends CredentialDescriptors {
  id: string;
  tenantId: string;
  kind: CredentialKind;
  createdAt: Date;
  updatedAt: Date;
}

/** A credential row with its ciphertext, for rotation inside the routes' transaction. */
export interface SealedCredentialRow extends CredentialRow {
  secret: Uint8Array;
  keyId: string | null;
}

export interface CredentialUser {
  id: string;
  name: string;
}

// Never `secret`: list and read queries cannot return the ciphertext by mistake.
const COLUMNS = `id, tenant_id AS "tenantId", name, kind, version, username,
  security_level AS "securityLevel", auth_protocol AS "authProtocol", priv_protocol AS "privProtocol",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

// The cursor's time at full microsecond precision: a JS Date keeps milliseconds only, and a
// cursor rounded down to them would skip rows made later in the same millisecond.
/** A listed row with its exact keyset time. */
const CURSOR_AT = cursorAt('created_at');

export async function listCredentials(
  q: Queryable,
  f: { cursor: Cursor | null; limit: number; kind?: CredentialKind | undefined },
): Promise<Listed<CredentialRow>[]> {
  const params: unknown[] = [];
  let where = 'TRUE';
  if (f.kind) {
    params.push(f.kind);
    where += ` AND kind = $${params.length}`;
  }
  where += cursorClause(f.cursor, 'created_at', 'id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<CredentialRow>>(
    `SELECT ${COLUMNS}, ${CURSOR_AT} FROM credentials WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getCredential(q: Queryable, id: string): Promise<CredentialRow | null> {
  const { rows } = await q.query<CredentialRow>(`SELECT ${COLUMNS} FROM credentials WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/**
 * Reads and row-locks a credential for a change or a delete. The lock orders a delete after
 * any device write that has checked the credential (those take FOR KEY SHARE), so the
 * in-use check that follows sees their rows.
 */
export async function lockCredential(q: Queryable, id: string): Promise<SealedCredentialRow | null> {
  const { rows } = await q.query<SealedCredentialRow>(
    `SELECT ${COLUMNS}, secret, key_id AS "keyId" FROM credentials WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return rows[0] ?? null;
}

export async function insertCredential(
  q: Queryable,
  tenantId: string,
  c: CredentialDescriptors & { id: string; kind: CredentialKind; secret: Buffer; keyId: string },
): Promise<CredentialRow> {
  const { rows } = await q.query<CredentialRow>(
    `INSERT INTO credentials (tenant_id, id, name, kind, version, username, security_level,
                              auth_protocol, priv_protocol, secret, key_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
    [
      tenantId,
      c.id,
      c.name,
      c.kind,
      c.version,
      c.username,
      c.securityLevel,
      c.authProtocol,
      c.privProtocol,
      c.secret,
      c.keyId,
    ],
  );
  return rows[0]!;
}

/** Replaces every descriptor and the ciphertext: a secret is never patched in place. */
export async function updateCredential(
  q: Queryable,
  id: string,
  c: CredentialDescriptors,
  sealed: { secret: Buffer; keyId: string },
): Promise<CredentialRow | null> {
  const { rows } = await q.query<CredentialRow>(
    `UPDATE credentials SET
        name = $2, version = $3, username = $4, security_level = $5, auth_protocol = $6, priv_protocol = $7,
        secret = $8, key_id = $9
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      c.name,
      c.version,
      c.username,
      c.securityLevel,
      c.authProtocol,
      c.privProtocol,
      sealed.secret,
      sealed.keyId,
    ],
  );
  return rows[0] ?? null;
}

export async function deleteCredential(q: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM credentials WHERE id = $1', [id]);
  return rowCount > 0;
}

/**
 * What still refers to a credential. Device profiles and schedule params hold the id in JSON,
 * where no foreign key can guard it, so deletes check here.
 */
export async function credentialUsers(
  q: Queryable,
  id: string,
): Promise<{ devices: CredentialUser[]; schedules: CredentialUser[] }> {
  const key = id.toLowerCase();
  const devices = await q.query<CredentialUser>(
    `SELECT id, name FROM devices
      WHERE lower(snmp->>'credentialId') = $1 OR lower(tr181->>'credentialId') = $1
      ORDER BY lower(name) LIMIT 20`,
    [key],
  );
  const schedules = await q.query<CredentialUser>(
    `SELECT id, name FROM schedules WHERE lower(params->>'credentialId') = $1 ORDER BY lower(name) LIMIT 20`,
    [key],
  );
  return { devices: devices.rows, schedules: schedules.rows };
}
