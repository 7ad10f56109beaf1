import type { LoginRequest, LoginResponse } from '@drm/protocol';
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
