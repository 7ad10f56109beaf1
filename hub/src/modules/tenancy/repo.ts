import type { Queryable } from '../../db/types.js';

export interface TenantRow {
  id: string;
  name: string;
  kind: 'msp' | 'customer';
  parentId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, name, kind, parent_id AS "parentId", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The caller's role in a tenant; system context because the tenant is not yet chosen. */
export async function roleOf(q: Queryable, tenantId: string, userId: string): Promise<string | null> {
  const { rows } = await q.query<{ role: string }>(
    'SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2',
    [tenantId, userId],
  );
  return rows[0]?.role ?? null;
}

export async function getTenant(q: Queryable, id: string): Promise<TenantRow | null> {
  const { rows } = await q.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Creates a customer tenant under an MSP and makes its creator an admin of it. */
export async function createCustomerTenant(
  q: Queryable,
  t: { name: string; parentId: string; creatorId: string },
): Promise<TenantRow> {
  const { rows } = await q.query<TenantRow>(
    `INSERT INTO tenants (id, name, kind, parent_id) VALUES (gen_random_uuid(), $1, 'customer', $2)
     RETURNING ${COLUMNS}`,
    [t.name, t.parentId],
  );
  const tenant = rows[0]!;
  await q.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'admin')`, [
    tenant.id,
    t.creatorId,
  ]);
  return tenant;
}

export async function renameTenant(q: Queryable, id: string, name: string): Promise<TenantRow | null> {
  const { rows } = await q.query<TenantRow>(
    `UPDATE tenants SET name = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, name],
  );
  return rows[0] ?? null;
}
