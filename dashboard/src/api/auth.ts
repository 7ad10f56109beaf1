import type { ApiToken, ApiTokenCreate, ApiTokenCreated, LoginRequest, LoginResponse } from '@drm/protocol';
import { request } from './http.js';

/** The logged-in user and the tenants they may see (login's answer without the token). */
export type Session = Omit<LoginResponse, 'token'>;

/**
 * Logs in; the hub sets the HttpOnly session cookie that every later call and the live stream
 * carry. The bearer token in the answer is dropped: the dashboard never stores a token.
 */
export async function login(body: LoginRequest): Promise<Session> {
  const { user, tenants } = await request<LoginResponse>('POST', '/auth/login', { body });
  return { user, tenants };
}

export function logout(): Promise<void> {
  return request<void>('POST', '/auth/logout');
}

/** The current session, from the cookie. */
export function getSession(signal?: AbortSignal): Promise<Session> {
  return request<Session>('GET', '/auth/me', signal ? { signal } : {});
}

/** The signed-in user's API tokens that still work (never their values), newest first. */
export function listApiTokens(signal?: AbortSignal): Promise<{ items: ApiToken[] }> {
  return request<{ items: ApiToken[] }>('GET', '/auth/tokens', signal ? { signal } : {});
}

/** Makes a token for scripts; its value is in this answer only (the hub keeps its hash). */
export function createApiToken(body: ApiTokenCreate): Promise<ApiTokenCreated> {
  return request<ApiTokenCreated>('POST', '/auth/tokens', { body });
}

export function revokeApiToken(tokenId: string): Promise<void> {
  return request<void>('DELETE', `/auth/tokens/${encodeURIComponent(tokenId)}`);
}
