import type { Job, JobResult, JobTarget } from '@drm/protocol';
import { iso } from '../../lib/paging.js';
import type { JobRow, TargetRow } from './repo.js';
import type { MergedResult } from './results-repo.js';

export function toTarget(row: TargetRow): JobTarget {
  return {
    deviceId: row.deviceId,
    deviceName: row.deviceName,
    agentId: row.agentId,
    status: row.status,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    error: row.error,
  };
}

export function toJob(row: JobRow, targets?: TargetRow[]): Job {
  // Cast: the row's kind and params were validated together (JobCreateRequest) when stored.
  return {
    kind: row.kind,
    params: row.params,
    id: row.id,
    tenantId: row.tenantId,
    status: row.status,
    progress: { done: row.doneTargets, total: row.totalTargets },
    createdBy: row.createdBy,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    cancelRequestedAt: iso(row.cancelRequestedAt),
    expiresAt: iso(row.expiresAt),
    ...(targets && { targets: targets.map(toTarget) }),
  } as Job;
}

export function toResult(r: MergedResult): JobResult {
  return {
    id: r.id,
    jobId: r.jobId,
    deviceId: r.deviceId,
    agentId: r.agentId,
    status: r.status,
    varbinds: r.varbinds,
    tr181: r.tr181,
    error: r.error,
    startedAt: iso(r.startedAt)!,
    finishedAt: iso(r.finishedAt)!,
    receivedAt: iso(r.receivedAt)!,
  };
}
