import type { AuditEntry, Member, MemberCreate, Page, Role } from '@drm/protocol';
import { listAll, request } from './http.js';

const t = (tenantId: string) => `/tenants/${encodeURIComponent(tenantId)}`;

export function listMembers(tenantId: string, signal?: AbortSignal) {
  return listAll<Member>(`${t(tenantId)}/users`, {}, signal ? { signal } : {});
}

export function addMember(tenantId: string, body: MemberCreate) {
  return request<Member>('POST', `${t(tenantId)}/users`, { body });
}

export function setMemberRole(tenantId: string, userId: string, role: Role) {
  return request<Member>('PATCH', `${t(tenantId)}/users/${encodeURIComponent(userId)}`, { body: { role } });
}

export function removeMember(tenantId: string, userId: string) {
  return request<void>('DELETE', `${t(tenantId)}/users/${encodeURIComponent(userId)}`);
}

export function listAudit(
  tenantId: string,
  query: { action?: string; cursor?: string | null; limit?: number } = {},
  signal?: AbortSignal,
) {
  return request<Page<AuditEntry>>('GET', `${t(tenantId)}/audit`, { query, ...(signal && { signal }) });
}
