import type { BaseLogger } from 'pino';
import { JOB_EXPIRY_SECONDS, type JobCreated, type JobCreateRequest, isTerminalStatus } from '@drm/protocol';
import type { Db, Queryable } from '../../db/types.js';
import type { LiveNotifier } from '../../live/notifier.js';
import { Errors, withDetails } from '../../errors.js';
import type { AuditInput } from '../audit/repo.js';
import { writeAudit } from '../audit/repo.js';
import * as repo from './repo.js';
import { recomputeJobStatus } from './state.js';

export type { JobAggregate, TargetFields, TransitionResult } from './state.js';
export { applyTargetTransition, recomputeJobStatus } from './state.js';
export { aggregateJobStatus, canTransition } from './transitions.js';

/**
 * Sends jobs to agents. The job service calls it after the job's transaction has committed,
 * so an agent can never receive a job the database does not hold. A failure is logged and
 * the targets stay `queued`: the hub re-sends unreceipted jobs when an agent connects.
 */
export interface JobDispatcher {
  /** Publishes the job's `queued` targets to their agents (and marks them `dispatched`). */
  dispatch(tenantId: string, jobId: string): Promise<void>;
  /** Asks the agents holding the job's `dispatched` and `running` targets to stop them. */
  cancel?(tenantId: string, jobId: string): Promise<void>;
}

/** Who acts, for the tenant context and the audit log. */
export interface JobActor {
  tenantId: string;
  userId: string;
  audit: Pick<AuditInput, 'actorUserId' | 'actorKind'>;
}

export interface JobServiceDeps {
  db: Db;
  log: Pick<BaseLogger, 'info' | 'warn' | 'error'>;
  /** Absent until jobs go out over MQTT: jobs then stay `queued`. */
  dispatcher?: JobDispatcher | undefined;
  /** Live views, told after a job is created or cancelled (the dispatcher tells its own changes). */
  live?: Pick<LiveNotifier, 'jobChanged'> | undefined;
}

export interface JobService {
  /** Validates targets against the tenant's devices, stores the job queued, then dispatches it. */
  create(actor: JobActor, input: JobCreateRequest): Promise<JobCreated>;
  /**
   * Requests cancellation: `queued` targets are cancelled at once, the others are left to
   * their agents. Throws NOT_FOUND for an unknown job, CONFLICT for a finished one.
   */
  cancel(actor: JobActor, jobId: string): Promise<void>;
}

const SNMP_CREDENTIAL_KINDS = new Set(['snmp-community', 'snmp-v3']);

/** 400 naming the target ids that are not devices of this tenant, whether or not they exist elsewhere. */
async function resolveTargets(q: Queryable, input: JobCreateRequest): Promise<repo.TargetDeviceRow[]> {
  const devices = await repo.findTargetDevices(q, input.targets);
  const found = new Set(devices.map((d) => d.id.toLowerCase()));
  const unknown = input.targets.filter((id) => !found.has(id.toLowerCase()));
  if (unknown.length > 0) {
    const err = new Errors.VALIDATION(`Unknown device ids: ${unknown.join(', ')}`);
    throw withDetails(err, { unknownDeviceIds: unknown });
  }
  return devices;
}

/** Each device must be reachable by the job's protocol: a profile, or for SNMP a credential given by the job. */
async function checkAccess(
  q: Queryable,
  input: JobCreateRequest,
  devices: repo.TargetDeviceRow[],
): Promise<void> {
  const snmp = input.kind.startsWith('snmp.');
  const credentialId = 'credentialId' in input.params ? input.params.credentialId : undefined;
  if (credentialId) {
    const kind = await repo.credentialKind(q, credentialId);
    if (!kind || !SNMP_CREDENTIAL_KINDS.has(kind)) {
      throw new Errors.VALIDATION(
        `params.credentialId ${credentialId} is not an SNMP credential of this tenant`,
      );
    }
  }
  const lacking = devices.filter((d) => (snmp ? !d.hasSnmp && !credentialId : !d.hasTr181)).map((d) => d.id);
  if (lacking.length > 0) {
    const profile = snmp ? 'an SNMP profile (or give params.credentialId)' : 'a TR-181 profile';
    const err = new Errors.VALIDATION(`These devices need ${profile}: ${lacking.join(', ')}`);
    throw withDetails(err, { devicesWithoutProfile: lacking });
  }
}

export function createJobService({ db, log, dispatcher, live }: JobServiceDeps): JobService {
  async function afterCommit(what: 'dispatch' | 'cancel', tenantId: string, jobId: string): Promise<void> {
    const send = what === 'dispatch' ? dispatcher?.dispatch : dispatcher?.cancel;
    if (!dispatcher || !send) return;
    try {
      await send.call(dispatcher, tenantId, jobId);
    } catch (err) {
      // The job is committed; agents get it (or the cancel) when they next connect.
      log.error({ err, tenantId, jobId }, `job ${what} failed`);
    }
  }

  return {
    async create(actor, input) {
      const expiresInSeconds = input.expiresInSeconds ?? JOB_EXPIRY_SECONDS.default;
      const job = await db.withTenant(actor, async (q) => {
        await checkAccess(q, input, await resolveTargets(q, input));
        const created = await repo.insertJob(q, actor.tenantId, {
          kind: input.kind,
          params: input.params,
          deviceIds: input.targets,
          createdBy: actor.userId,
          expiresInSeconds,
        });
        await writeAudit(q, actor.tenantId, {
          ...actor.audit,
          action: 'job.create',
          targetType: 'job',
          targetId: created.id,
          // Not the params: an SNMP SET may carry a community or a key as its value.
          details: { kind: input.kind, targetCount: input.targets.length, expiresInSeconds },
        });
        return created;
      });
      log.info({ tenantId: actor.tenantId, jobId: job.id, kind: input.kind }, 'job queued');
      live?.jobChanged(actor.tenantId, job.id);
      await afterCommit('dispatch', actor.tenantId, job.id);
      return { id: job.id, status: 'queued' };
    },

    async cancel(actor, jobId) {
      const stillActive = await db.withTenant(actor, async (q) => {
        const job = await repo.getJob(q, jobId);
        if (!job) throw new Errors.NOT_FOUND('Job');
        if (isTerminalStatus(job.status))
          throw new Errors.CONFLICT(`The job has already finished (${job.status})`);
        // Targets before the job row: the lock order every job writer follows.
        const cancelled = await repo.cancelQueuedTargets(q, actor.tenantId, jobId);
        const agg = await recomputeJobStatus(q, actor.tenantId, jobId);
        await repo.markCancelRequested(q, actor.tenantId, jobId);
        const active = agg ? agg.total - agg.done : 0;
        await writeAudit(q, actor.tenantId, {
          ...actor.audit,
          action: 'job.cancel',
          targetType: 'job',
          targetId: jobId,
          details: { cancelledTargets: cancelled, activeTargets: active },
        });
        return active;
      });
      live?.jobChanged(actor.tenantId, jobId);
      if (stillActive > 0) await afterCommit('cancel', actor.tenantId, jobId);
    },
  };
}
