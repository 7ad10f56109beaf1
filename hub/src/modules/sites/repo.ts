import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

export interface SiteRow {
  id: string;
  tenantId: string;
  name: string;
  description: string | null;
  address: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, tenant_id AS "tenantId", name, description, address,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function listSites(
  q: Queryable,
  f: { cursor: Cursor | null; limit: number; q?: string | undefined },
): Promise<Listed<SiteRow>[]> {
  const params: unknown[] = [];
  let where = 'TRUE';
  if (f.q) {
    params.push(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where += ` AND (name ILIKE $${params.length} OR address ILIKE $${params.length})`;
  }
  where += cursorClause(f.cursor, 'created_at', 'id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<SiteRow>>(
    `SELECT ${COLUMNS}, ${cursorAt('created_at')} FROM sites WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getSite(q: Queryable, id: string): Promise<SiteRow | null> {
  const { rows } = await q.query<SiteRow>(`SELECT ${COLUMNS} FROM sites WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function insertSite(
  q: Queryable,
  tenantId: string,
  s: { name: string; description?: string | null | undefined; address?: string | null | undefined },
): Promise<SiteRow> {
  const { rows } = await q.query<SiteRow>(
    `INSERT INTO sites (tenant_id, id, name, description, address)
     VALUES ($1, gen_random_uuid(), $2, $3, $4) RETURNING ${COLUMNS}`,
    [tenantId, s.name, s.description ?? null, s.address ?? null],
  );
  return rows[0]!;
}

export async function updateSite(
  q: Queryable,
  id: string,
  s: {
    name?: string | undefined;
    description?: string | null | undefined;
    address?: string | null | undefined;
  },
): Promise<SiteRow | null> {
  const { rows } = await q.query<SiteRow>(
    `UPDATE sites SET
        name = COALESCE($2, name),
        description = CASE WHEN $3::boolean THEN $4 ELSE description END,
        address = CASE WHEN $5::boolean THEN $6 ELSE address END,
        updated_at = now()
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      s.name ?? null,
      s.description !== undefined,
      s.description ?? null,
      s.address !== undefined,
      s.address ?? null,
    ],
  );
  return rows[0] ?? null;
}

/** Deletes a site that nothing refers to any more; null when it does not exist. */
export async function deleteSite(q: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM sites WHERE id = $1', [id]);
  return rowCount > 0;
}
