import type { Agent, EnrollmentToken, EnrollmentTokenCreated } from '@drm/protocol';
import { listAll, request } from './http.js';

const t = (tenantId: string) => `/tenants/${encodeURIComponent(tenantId)}`;

export function listAgents(tenantId: string, signal?: AbortSignal) {
  return listAll<Agent>(`${t(tenantId)}/agents`, {}, signal ? { signal } : {});
}

export function revokeAgent(tenantId: string, agentId: string) {
  return request<Agent>('POST', `${t(tenantId)}/agents/${encodeURIComponent(agentId)}/revoke`);
}

/** A new MQTT password for the agent, delivered with its next config (the old one works until then). */
export function rotateAgentCredentials(tenantId: string, agentId: string) {
  return request<Agent>('POST', `${t(tenantId)}/agents/${encodeURIComponent(agentId)}/rotate-credentials`);
}

export function listEnrollmentTokens(tenantId: string, signal?: AbortSignal) {
  return listAll<EnrollmentToken>(`${t(tenantId)}/enrollment-tokens`, {}, signal ? { signal } : {});
}

/** Creates a single-use token; its value is in this answer only. */
export function createEnrollmentToken(tenantId: string, body: { siteId: string; ttlMinutes?: number }) {
  return request<EnrollmentTokenCreated>('POST', `${t(tenantId)}/enrollment-tokens`, { body });
}

export function revokeEnrollmentToken(tenantId: string, tokenId: string) {
  return request<void>('DELETE', `${t(tenantId)}/enrollment-tokens/${encodeURIComponent(tokenId)}`);
}
