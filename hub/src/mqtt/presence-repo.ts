import type { Queryable } from '../db/types.js';

export type PresenceState = 'online' | 'offline';

export interface StatusUpdate {
  state: PresenceState;
  seenAt: Date;
  version: string;
  /** Absent when the message carries no outbox figures (a last will may not). */
  outbox?: { count: number; bytes: number; oldestAt: Date | null; dropped: number } | undefined;
  /**
   * The config revision the agent holds; absent when the message's figure may be stale. Only
   * raises the acked revision, as a `config-ack` does: config sync pushes on every connection
   * anyway, so a lower figure (an agent whose data was reset) needs no special path here.
   */
  heldConfigRevision?: number | undefined;
}

/** The state before the change, or null when the agent does not exist (in this tenant). */
async function lockState(q: Queryable, agentId: string): Promise<string | null> {
  const { rows } = await q.query<{ state: string }>('SELECT state FROM agents WHERE id = $1 FOR UPDATE', [
    agentId,
  ]);
  return rows[0]?.state ?? null;
}

/** Applies a `status` message; returns the previous state, or null for an unknown agent. */
export async function applyStatus(q: Queryable, agentId: string, u: StatusUpdate): Promise<string | null> {
  const previous = await lockState(q, agentId);
  if (previous === null) return null;
  const o = u.outbox;
  await q.query(
    `UPDATE agents SET state = $2,
        last_seen_at = GREATEST(COALESCE(last_seen_at, $3::timestamptz), $3::timestamptz),
        version = $4,
        outbox_count = COALESCE($5, outbox_count),
        outbox_bytes = COALESCE($6, outbox_bytes),
        outbox_oldest_at = CASE WHEN $5::bigint IS NULL THEN outbox_oldest_at ELSE $7::timestamptz END,
        outbox_dropped = COALESCE($8, outbox_dropped),
        acked_config_revision = GREATEST(acked_config_revision, COALESCE($9, acked_config_revision))
      WHERE id = $1`,
    [
      agentId,
      u.state,
      u.seenAt,
      u.version,
      o?.count ?? null,
      o?.bytes ?? null,
      o?.oldestAt ?? null,
      o?.dropped ?? null,
      u.heldConfigRevision ?? null,
    ],
  );
  return previous;
}

/** Marks an agent offline after its connection ended; returns the previous state. */
export async function markOffline(q: Queryable, agentId: string, at: Date): Promise<string | null> {
  const previous = await lockState(q, agentId);
  if (previous === null) return null;
  await q.query(
    `UPDATE agents SET state = CASE WHEN state = 'online' THEN 'offline' ELSE state END,
        last_seen_at = GREATEST(COALESCE(last_seen_at, $2::timestamptz), $2::timestamptz)
      WHERE id = $1`,
    [agentId, at],
  );
  return previous;
}

/** Moves `last_seen_at` forward only (messages may be handled out of order). */
export async function touchLastSeen(q: Queryable, agentId: string, at: Date): Promise<void> {
  await q.query(
    'UPDATE agents SET last_seen_at = $2 WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)',
    [agentId, at],
  );
}
