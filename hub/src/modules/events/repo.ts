import type { EventKind } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

export interface EventRow {
  id: string;
  tenantId: string;
  kind: string;
  receivedAt: Date;
  agentId: string | null;
  deviceId: string | null;
  summary: string;
  payload: Record<string, unknown>;
}

/**
 * The stored kinds behind each API kind. The table records which PDU brought an SNMP
 * notification (`trap`, `inform`, `trapv1`); the API shows all three as `trap`, and the PDU
 * stays visible in `trap.pdu`.
 */
const STORED_KINDS: Record<EventKind, readonly string[]> = {
  trap: ['trap', 'inform', 'trapv1'],
  'agent.online': ['agent.online'],
  'agent.offline': ['agent.offline'],
  'agent.enrolled': ['agent.enrolled'],
  'agent.revoked': ['agent.revoked'],
  'agent.config-refused': ['agent.config-refused'],
  'agent.credentials-rotated': ['agent.credentials-rotated'],
};

// Kinds the API cannot describe yet (a newer writer) are left out rather than failing the list.
const ALL_STORED = Object.values(STORED_KINDS).flat();

/** The API kind of a stored kind, or null for one the API does not know. */
export function apiKind(stored: string): EventKind | null {
  for (const [kind, stored_] of Object.entries(STORED_KINDS)) {
    if (stored_.includes(stored)) return kind as EventKind;
  }
  return null;
}

export interface EventFilter {
  cursor: Cursor | null;
  limit: number;
  kind?: EventKind | undefined;
  agentId?: string | undefined;
  deviceId?: string | undefined;
  since?: string | undefined;
}

const COLUMNS = `id, tenant_id AS "tenantId", kind, received_at AS "receivedAt", agent_id AS "agentId",
  device_id AS "deviceId", summary, payload`;

/** Newest first by the time the hub received them. */
export async function listEvents(q: Queryable, f: EventFilter): Promise<Listed<EventRow>[]> {
  const params: unknown[] = [f.kind ? STORED_KINDS[f.kind] : ALL_STORED];
  let where = 'kind = ANY($1::text[])';
  if (f.agentId) {
    params.push(f.agentId);
    where += ` AND agent_id = $${params.length}::uuid`;
  }
  if (f.deviceId) {
    params.push(f.deviceId);
    where += ` AND device_id = $${params.length}::uuid`;
  }
  if (f.since) {
    params.push(f.since);
    where += ` AND received_at >= $${params.length}::timestamptz`;
  }
  where += cursorClause(f.cursor, 'received_at', 'id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<EventRow>>(
    `SELECT ${COLUMNS}, ${cursorAt('received_at')} FROM events WHERE ${where} ORDER BY received_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getEvent(q: Queryable, id: string): Promise<EventRow | null> {
  const { rows } = await q.query<EventRow>(
    `SELECT ${COLUMNS} FROM events WHERE id = $1 AND kind = ANY($2::text[])`,
    [id, ALL_STORED],
  );
  return rows[0] ?? null;
}
