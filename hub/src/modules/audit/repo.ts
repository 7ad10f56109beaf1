import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

export interface AuditInput {
  actorUserId: string | null;
  actorKind: 'user' | 'api-token' | 'agent' | 'system';
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRow {
  id: string;
  at: Date;
  actorUserId: string | null;
  actorKind: string;
  actorEmail: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown> | null;
}

/**
 * Records a write in the audit log inside the caller's transaction, so the entry exists if
 * and only if the change does. Never put secrets in `details`.
 */
export async function writeAudit(q: Queryable, tenantId: string, e: AuditInput): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (tenant_id, id, actor_user_id, actor_kind, action, target_type, target_id, details)
     VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7)`,
    [
      tenantId,
      e.actorUserId,
      e.actorKind,
      e.action,
      e.targetType,
      e.targetId,
      JSON.stringify(e.details ?? {}),
    ],
  );
}

export async function listAudit(
  q: Queryable,
  f: { cursor: Cursor | null; limit: number; action?: string | undefined; actorUserId?: string | undefined },
): Promise<Listed<AuditRow>[]> {
  const params: unknown[] = [];
  let where = 'TRUE';
  if (f.action) {
    params.push(f.action);
    where += ` AND a.action = $${params.length}`;
  }
  if (f.actorUserId) {
    params.push(f.actorUserId);
    where += ` AND a.actor_user_id = $${params.length}`;
  }
  where += cursorClause(f.cursor, 'a.at', 'a.id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<AuditRow>>(
    `SELECT ${cursorAt('a.at')}, a.id, a.at, a.actor_user_id AS "actorUserId", a.actor_kind AS "actorKind", u.email AS "actorEmail",
            a.action, a.target_type AS "targetType", a.target_id AS "targetId", a.details
       FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
      WHERE ${where}
      ORDER BY a.at DESC, a.id DESC
      LIMIT $${params.length}`,
    params,
  );
  return rows;
}
