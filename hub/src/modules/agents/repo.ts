import type { AgentState } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

export interface AgentRow {
  id: string;
  tenantId: string;
  siteId: string;
  name: string;
  version: string | null;
  state: AgentState;
  lastSeenAt: Date | null;
  configRevision: number;
  appliedConfigRevision: number;
  outboxCount: number;
  outboxBytes: number;
  outboxOldestAt: Date | null;
  outboxDropped: number;
  revokedAt: Date | null;
  createdAt: Date;
  rotationRequestedAt: Date | null;
  credentialsRotatedAt: Date | null;
}

// Revocation is final and outranks whatever presence the broker last recorded.
const STATE = `CASE WHEN revoked_at IS NOT NULL THEN 'revoked' ELSE state END`;

const COLUMNS = `id, tenant_id AS "tenantId", site_id AS "siteId", name, version, ${STATE} AS state,
  last_seen_at AS "lastSeenAt", config_revision AS "configRevision",
  acked_config_revision AS "appliedConfigRevision",
  outbox_count AS "outboxCount", outbox_bytes AS "outboxBytes",
  outbox_oldest_at AS "outboxOldestAt", outbox_dropped AS "outboxDropped",
  revoked_at AS "revokedAt", created_at AS "createdAt",
  rotation_requested_at AS "rotationRequestedAt", credentials_rotated_at AS "credentialsRotatedAt"`;

export async function listAgents(
  q: Queryable,
  f: { cursor: Cursor | null; limit: number; siteId?: string | undefined; state?: AgentState | undefined },
): Promise<Listed<AgentRow>[]> {
  const params: unknown[] = [];
  let where = 'TRUE';
  if (f.siteId) {
    params.push(f.siteId);
    where += ` AND site_id = $${params.length}`;
  }
  if (f.state) {
    params.push(f.state);
    where += ` AND (${STATE}) = $${params.length}`;
  }
  where += cursorClause(f.cursor, 'created_at', 'id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<AgentRow>>(
    `SELECT ${COLUMNS}, ${cursorAt('created_at')} FROM agents WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getAgent(q: Queryable, id: string): Promise<AgentRow | null> {
  const { rows } = await q.query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Enrollment (system context): the agent's MQTT password is stored as a scrypt hash only. */
export async function insertAgent(
  q: Queryable,
  a: {
    tenantId: string;
    id: string;
    siteId: string;
    name: string;
    version: string;
    mqttUsername: string;
    secretHash: string;
  },
): Promise<AgentRow> {
  const { rows } = await q.query<AgentRow>(
    `INSERT INTO agents (tenant_id, id, site_id, name, version, mqtt_username, secret_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [a.tenantId, a.id, a.siteId, a.name, a.version, a.mqttUsername, a.secretHash],
  );
  return rows[0]!;
}

export async function updateAgent(
  q: Queryable,
  id: string,
  u: { name?: string | undefined; siteId?: string | undefined },
): Promise<AgentRow | null> {
  const { rows } = await q.query<AgentRow>(
    `UPDATE agents SET name = COALESCE($2, name), site_id = COALESCE($3::uuid, site_id)
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, u.name ?? null, u.siteId ?? null],
  );
  return rows[0] ?? null;
}

/**
 * Revokes an agent that is not revoked yet (a credential rotation waiting for it is dropped,
 * its sealed password deleted); null when it is missing or already revoked.
 */
export async function revokeAgent(q: Queryable, id: string): Promise<AgentRow | null> {
  const { rows } = await q.query<AgentRow>(
    `UPDATE agents SET revoked_at = now(), pending_secret_hash = NULL, pending_secret = NULL,
            pending_secret_id = NULL, rotation_requested_at = NULL
      WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ?? null;
}

/** An agent life-cycle event (`agent.enrolled`, `agent.revoked`) for the tenant's event list. */
export async function insertAgentEvent(
  q: Queryable,
  tenantId: string,
  e: { agentId: string; kind: `agent.${string}`; summary: string; payload?: Record<string, unknown> },
): Promise<void> {
  await q.query(
    `INSERT INTO events (tenant_id, id, agent_id, kind, summary, payload)
     VALUES ($1, gen_random_uuid(), $2, $3, $4, $5)`,
    [tenantId, e.agentId, e.kind, e.summary, JSON.stringify(e.payload ?? {})],
  );
}

export interface AgentSecretRow {
  tenantId: string;
  agentId: string;
  secretHash: string;
  /** A new password waiting for the agent (credential rotation): it logs in with either. */
  pendingSecretHash: string | null;
  revoked: boolean;
}

/** Broker authentication (system context): the agent behind an MQTT user name. */
/** Every agent of every tenant by whether it may connect (system context). */
export async function agentsByAccess(q: Queryable): Promise<{ allowed: Set<string>; revoked: Set<string> }> {
  const { rows } = await q.query<{ id: string; revoked: boolean }>(
    'SELECT id, revoked_at IS NOT NULL AS revoked FROM agents',
  );
  const allowed = new Set<string>();
  const revoked = new Set<string>();
  for (const r of rows) (r.revoked ? revoked : allowed).add(r.id.toLowerCase());
  return { allowed, revoked };
}

export async function findAgentByUsername(q: Queryable, username: string): Promise<AgentSecretRow | null> {
  const { rows } = await q.query<AgentSecretRow>(
    `SELECT tenant_id AS "tenantId", id AS "agentId", secret_hash AS "secretHash",
            pending_secret_hash AS "pendingSecretHash", revoked_at IS NOT NULL AS revoked
       FROM agents WHERE mqtt_username = $1`,
    [username],
  );
  return rows[0] ?? null;
}

/**
 * Starts a rotation of a not-revoked agent's MQTT password, when none waits: the new one
 * waits (hashed, and sealed for delivery) for the agent to acknowledge it by this rotation's
 * id, and the config revision moves on so that the agent gets it now. Null when the agent is
 * missing, revoked, or already has a rotation waiting (one at a time: a second one could take
 * away the only password the agent can still log in with before it has the new one).
 */
export async function requestRotation(
  q: Queryable,
  id: string,
  secret: { hash: string; sealed: Buffer },
): Promise<AgentRow | null> {
  const { rows } = await q.query<AgentRow>(
    `UPDATE agents SET pending_secret_hash = $2, pending_secret = $3, pending_secret_id = gen_random_uuid(),
            config_revision = config_revision + 1, rotation_requested_at = now()
      WHERE id = $1 AND revoked_at IS NULL AND pending_secret IS NULL RETURNING ${COLUMNS}`,
    [id, secret.hash, secret.sealed],
  );
  return rows[0] ?? null;
}

/** The sealed new password waiting for this agent, with its rotation's id. */
export async function pendingSecret(
  q: Queryable,
  id: string,
): Promise<{ sealed: Buffer; rotationId: string } | null> {
  const { rows } = await q.query<{ sealed: Buffer; rotationId: string }>(
    `SELECT pending_secret AS sealed, pending_secret_id AS "rotationId" FROM agents
      WHERE id = $1 AND pending_secret IS NOT NULL AND revoked_at IS NULL`,
    [id],
  );
  return rows[0] ?? null;
}

/**
 * Ends the rotation `rotationId`, which the agent acknowledged holding: the new hash replaces
 * the old one, the sealed copy is deleted. False when that rotation does not wait (anymore).
 */
export async function completeRotation(q: Queryable, id: string, rotationId: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE agents SET secret_hash = pending_secret_hash, pending_secret_hash = NULL,
            pending_secret = NULL, pending_secret_id = NULL, rotation_requested_at = NULL,
            credentials_rotated_at = now()
      WHERE id = $1 AND pending_secret_id = $2 AND revoked_at IS NULL`,
    [id, rotationId],
  );
  return rowCount > 0;
}
