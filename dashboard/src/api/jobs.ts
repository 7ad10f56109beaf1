import type { Job, JobCreated, JobCreateRequest, JobQuery, JobResult, Page } from '@drm/protocol';
import { listAll, request } from './http.js';

const t = (tenantId: string) => `/tenants/${encodeURIComponent(tenantId)}`;

export type JobFilters = Partial<Pick<JobQuery, 'status' | 'kind' | 'deviceId' | 'agentId' | 'since'>>;

export function listJobs(
  tenantId: string,
  query: JobFilters & { cursor?: string | null; limit?: number } = {},
  signal?: AbortSignal,
) {
  return request<Page<Job>>('GET', `${t(tenantId)}/jobs`, { query, ...(signal && { signal }) });
}

/** The jobs of every tenant the user has a role in, newest first (each names its tenant). */
export function listJobsOfAllTenants(
  query: JobFilters & { cursor?: string | null; limit?: number } = {},
  signal?: AbortSignal,
) {
  return request<Page<Job>>('GET', '/jobs', { query, ...(signal && { signal }) });
}

export function getJob(tenantId: string, jobId: string, signal?: AbortSignal) {
  return request<Job>('GET', `${t(tenantId)}/jobs/${encodeURIComponent(jobId)}`, signal ? { signal } : {});
}

export function createJob(tenantId: string, body: JobCreateRequest) {
  return request<JobCreated>('POST', `${t(tenantId)}/jobs`, { body });
}

export function cancelJob(tenantId: string, jobId: string) {
  return request<Job>('POST', `${t(tenantId)}/jobs/${encodeURIComponent(jobId)}/cancel`);
}

/** Every stored result of a job (a walk of a large table can be many pages). */
export function listResults(tenantId: string, jobId: string, signal?: AbortSignal) {
  return listAll<JobResult>(
    `${t(tenantId)}/jobs/${encodeURIComponent(jobId)}/results`,
    {},
    { max: 5000, ...(signal && { signal }) },
  );
}
