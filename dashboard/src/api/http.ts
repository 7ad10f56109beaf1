import type { Page } from '@drm/protocol';
import { ApiError, NETWORK } from './errors.js';

export const API_BASE = '/api/v1';

type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
}

const unauthenticatedListeners = new Set<() => void>();

/**
 * Called when a request finds the session gone (expired, revoked, logged out in another tab),
 * so the app can show the login page instead of a broken view.
 */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export function queryString(query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function errorFrom(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = body.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      return new ApiError(res.status, e.code, e.message, e.details);
    }
  } catch {
    // Not the hub's JSON (a proxy's error page): the status is all there is.
  }
  return new ApiError(res.status, `HTTP_${res.status}`, res.statusText || `HTTP ${res.status}`);
}

/**
 * One call to the hub's API, authenticated by the session cookie (same origin, HttpOnly: the
 * dashboard never sees the token). Resolves with the parsed JSON (`undefined` for 204) or
 * rejects with an `ApiError`. Responses are not re-validated here: the hub serializes every
 * response through the same `@drm/protocol` schemas the types come from.
 */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}${queryString(opts.query)}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      signal: opts.signal ?? null,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, NETWORK, 'The hub could not be reached');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (err.code === 'UNAUTHENTICATED') for (const listener of unauthenticatedListeners) listener();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * Every item of a paged list, following `nextCursor`, up to `max` items (lists in the
 * dashboard are for people; past that, filters help more than scrolling).
 */
export async function listAll<T>(
  path: string,
  query: Record<string, QueryValue> = {},
  opts: { max?: number; signal?: AbortSignal } = {},
): Promise<{ items: T[]; truncated: boolean }> {
  const max = opts.max ?? 1000;
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await request<Page<T>>('GET', path, {
      query: { ...query, limit: 200, cursor },
      ...(opts.signal && { signal: opts.signal }),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return { items: items.slice(0, max), truncated: cursor !== null || items.length > max };
}
