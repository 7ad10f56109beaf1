import type { Event, EventQuery, Page } from '@drm/protocol';
import { request } from './http.js';

export type EventFilters = Partial<Pick<EventQuery, 'kind' | 'agentId' | 'deviceId' | 'since'>>;

export function listEvents(
  tenantId: string,
  query: EventFilters & { cursor?: string | null; limit?: number } = {},
  signal?: AbortSignal,
) {
  return request<Page<Event>>('GET', `/tenants/${encodeURIComponent(tenantId)}/events`, {
    query,
    ...(signal && { signal }),
  });
}
