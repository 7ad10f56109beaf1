import type {
  Page,
  ScheduleCreate,
  ScheduleDto,
  ScheduleKind,
  ScheduleQuery,
  ScheduleUpdate,
} from '@drm/protocol';
import { listAll, request } from './http.js';

const base = (tenantId: string) => `/tenants/${encodeURIComponent(tenantId)}/schedules`;
const one = (tenantId: string, scheduleId: string) => `${base(tenantId)}/${encodeURIComponent(scheduleId)}`;

export type ScheduleFilters = { kind?: ScheduleKind | undefined; deviceId?: string | undefined };

/** One page of the tenant's schedules (polls), newest first. */
export function listSchedules(
  tenantId: string,
  query: ScheduleFilters & Partial<Pick<ScheduleQuery, 'cursor' | 'limit'>> = {},
  signal?: AbortSignal,
) {
  return request<Page<ScheduleDto>>('GET', base(tenantId), { query, ...(signal && { signal }) });
}

/** Every schedule matching the filters (a device's polls). */
export function listAllSchedules(tenantId: string, query: ScheduleFilters = {}, signal?: AbortSignal) {
  return listAll<ScheduleDto>(base(tenantId), query, signal ? { signal } : {});
}

export function getSchedule(tenantId: string, scheduleId: string, signal?: AbortSignal) {
  return request<ScheduleDto>('GET', one(tenantId, scheduleId), signal ? { signal } : {});
}

export function createSchedule(tenantId: string, body: ScheduleCreate) {
  return request<ScheduleDto>('POST', base(tenantId), { body });
}

export function updateSchedule(tenantId: string, scheduleId: string, body: ScheduleUpdate) {
  return request<ScheduleDto>('PATCH', one(tenantId, scheduleId), { body });
}

export function deleteSchedule(tenantId: string, scheduleId: string) {
  return request<void>('DELETE', one(tenantId, scheduleId));
}
