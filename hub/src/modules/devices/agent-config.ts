import type { FastifyInstance } from 'fastify';
import type { SnmpProfile, Tr181Profile } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';

/*
 * An agent's desired state (its devices and the schedules over them) carries a revision.
 * Writes that change it bump the revision in their own transaction, so the number always
 * names one content; after the commit they call the app's `configChanged` hook, which the
 * MQTT layer decorates to push the new state to the agents.
 */

/** Pushes the desired state of agents whose revision was bumped; called after the commit. */
export type ConfigChangedHook = (tenantId: string, agentIds: readonly string[]) => Promise<void> | void;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Optional: decorated by the MQTT layer. Without it revisions still move, and agents
     * receive the state when they next connect.
     */
    configChanged?: ConfigChangedHook;
  }
}

/** The distinct non-null agent ids among `ids`, sorted. */
export function agentSet(...ids: readonly (string | null | undefined)[]): string[] {
  return [...new Set(ids.filter((id): id is string => Boolean(id)).map((id) => id.toLowerCase()))].sort();
}

/**
 * Increments the config revision of these agents of the tenant in context, locking them in id
 * order. `FOR NO KEY UPDATE`, not `FOR UPDATE`: the caller has often just written a row that
 * references the agent (a device), which holds a key-share lock on it, and two such writers
 * asking for `FOR UPDATE` would each wait for the other's key-share lock.
 */
export async function bumpConfigRevisions(q: Queryable, agentIds: readonly string[]): Promise<void> {
  if (agentIds.length === 0) return;
  await q.query(
    `UPDATE agents a SET config_revision = a.config_revision + 1
       FROM (SELECT id FROM agents WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE) AS locked
      WHERE a.id = locked.id`,
    [agentSet(...agentIds)],
  );
}

/** Runs the app's `configChanged` hook without waiting for it; a failure is only logged. */
export function notifyConfigChanged(
  app: FastifyInstance,
  tenantId: string,
  agentIds: readonly string[],
): void {
  // Looked up per call: the MQTT layer may decorate the app after these routes were registered.
  const hook = app.configChanged;
  if (agentIds.length === 0 || typeof hook !== 'function') return;
  Promise.resolve()
    .then(() => hook(tenantId, agentIds))
    .catch((err: unknown) => app.log.error({ err, tenantId, agentIds }, 'config push failed'));
}

/** The agents reaching a device whose profile uses this credential. */
export async function agentsUsingCredential(q: Queryable, credentialId: string): Promise<string[]> {
  const { rows } = await q.query<{ agentId: string }>(
    `SELECT DISTINCT agent_id AS "agentId" FROM devices
      WHERE agent_id IS NOT NULL
        AND (lower(snmp->>'credentialId') = $1 OR lower(tr181->>'credentialId') = $1)
      ORDER BY agent_id`,
    [credentialId.toLowerCase()],
  );
  return rows.map((r) => r.agentId);
}

export interface ConfigDeviceRow {
  id: string;
  address: string;
  snmp: SnmpProfile | null;
  tr181: Tr181Profile | null;
}

/**
 * An agent's revision and devices, or null when the agent does not exist (in this tenant) or
 * was revoked: a revoked agent is sent no desired state, and so none of its devices' secrets.
 */
export async function agentConfigSource(
  q: Queryable,
  agentId: string,
): Promise<{ revision: number; devices: ConfigDeviceRow[] } | null> {
  const { rows: agents } = await q.query<{ revision: number }>(
    'SELECT config_revision AS revision FROM agents WHERE id = $1 AND revoked_at IS NULL',
    [agentId],
  );
  const agent = agents[0];
  if (!agent) return null;
  const { rows } = await q.query<ConfigDeviceRow>(
    'SELECT id, address, snmp, tr181 FROM devices WHERE agent_id = $1 ORDER BY id',
    [agentId],
  );
  return { revision: Number(agent.revision), devices: rows };
}
