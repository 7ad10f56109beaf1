import type {
  AuditEntry,
  Invitation,
  InvitationAccepted,
  InvitationCreated,
  InvitationPreview,
  Member,
  Page,
  Role,
} from '@drm/protocol';
import { listAll, request } from './http.js';

const t = (tenantId: string) => `/tenants/${encodeURIComponent(tenantId)}`;

export function listMembers(tenantId: string, signal?: AbortSignal) {
  return listAll<Member>(`${t(tenantId)}/users`, {}, signal ? { signal } : {});
}

export function invite(tenantId: string, body: { email: string; role: Role }) {
  return request<InvitationCreated>('POST', `${t(tenantId)}/invitations`, { body });
}

export function listPendingInvitations(tenantId: string, signal?: AbortSignal) {
  return listAll<Invitation>(`${t(tenantId)}/invitations`, { state: 'pending' }, signal ? { signal } : {});
}

export function revokeInvitation(tenantId: string, id: string) {
  return request<void>('DELETE', `${t(tenantId)}/invitations/${encodeURIComponent(id)}`);
}

/** The invitee's side: what the invitation offers, then accept it by signing up or as the logged-in user. */
export function lookUpInvitation(token: string) {
  return request<InvitationPreview>('POST', '/invitations/lookup', { body: { token } });
}

export function signUpWithInvitation(body: { token: string; name: string; password: string }) {
  return request<InvitationAccepted>('POST', '/invitations/signup', { body });
}

export function acceptInvitation(token: string) {
  return request<InvitationAccepted>('POST', '/invitations/accept', { body: { token } });
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
