import type { BaseLogger } from 'pino';
import {
  type DeviceAccess,
  isTerminalStatus,
  JOB_EXPIRY_SECONDS,
  type JobDispatch,
  type ResultError,
  type SnmpVersion,
} from '@drm/protocol';
import type { Db, Queryable } from '../db/types.js';
import type { LiveNotifier } from '../live/notifier.js';
import { createAccessResolver } from '../modules/credentials/device-access.js';
import { MAX_TARGETS_PER_DISPATCH, splitDispatch } from '../modules/jobs/dispatch-messages.js';
import * as repo from '../modules/jobs/dispatch-repo.js';
import { applyTargetTransition, type JobDispatcher, recomputeJobStatus } from '../modules/jobs/service.js';
import type { SecretBox } from '../security/secret-box.js';
import type { MqttHub } from './types.js';

export type DispatchLog = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;

export interface MqttJobDispatcherDeps {
  db: Db;
  mqtt: Pick<MqttHub, 'publish'>;
  secrets: SecretBox;
  log: DispatchLog;
  /** Live views, told after each committed status change. */
  live?: Pick<LiveNotifier, 'jobChanged'> | undefined;
}

export interface MqttJobDispatcher extends Required<JobDispatcher> {
  /**
   * For `mqtt.onAgentConnected`: re-sends, oldest job first, every job with targets for this
   * agent that it has not receipted; expires those past their deadline instead; and repeats
   * the cancel of cancelled jobs whose targets it may still hold.
   */
  resendUnreceipted(tenantId: string, agentId: string): Promise<void>;
}

const EXPIRED: ResultError = { code: 'expired', message: 'The job expired before this target finished' };
const CANCELLED_UNRECEIPTED: ResultError = {
  code: 'cancelled',
  message: 'Cancelled before the agent confirmed it had the job',
};

/** One agent's share of a job, ready to publish. */
interface AgentSend {
  agentId: string;
  bodies: JobDispatch[];
}

/** Targets that can never run as stored (no access material, or too large for a message). */
interface Failure {
  deviceId: string;
  error: ResultError;
}

function deadlineOf(job: repo.DispatchJobRow): string {
  const fallback = new Date(job.createdAt.getTime() + JOB_EXPIRY_SECONDS.default * 1000);
  return (job.expiresAt ?? fallback).toISOString();
}

/** Builds the messages for the targets of a job and fails the targets that cannot be built. */
async function prepare(
  q: Queryable,
  secrets: SecretBox,
  tenantId: string,
  job: repo.DispatchJobRow,
  targets: repo.DispatchTargetRow[],
): Promise<{ sends: AgentSend[]; failures: Failure[]; noAgent: string[] }> {
  const resolver = createAccessResolver(q, secrets, tenantId);
  const params = job.params as { credentialId?: string; version?: SnmpVersion };
  const overrides = { credentialId: params.credentialId, version: params.version };
  const byAgent = new Map<string, DeviceAccess[]>();
  const failures: Failure[] = [];
  const noAgent: string[] = [];
  for (const t of targets) {
    if (!t.agentId) {
      noAgent.push(t.deviceId);
      continue;
    }
    const device = { id: t.deviceId, address: t.address, snmp: t.snmp, tr181: t.tr181 };
    const access = await resolver.forJob(device, job.kind, overrides);
    if (!access.ok)
      failures.push({ deviceId: t.deviceId, error: { code: 'config', message: access.reason } });
    else byAgent.set(t.agentId, [...(byAgent.get(t.agentId) ?? []), access.access]);
  }
  const base = {
    jobId: job.id,
    tenantId,
    kind: job.kind,
    params: job.params,
    deadline: deadlineOf(job),
    createdAt: job.createdAt.toISOString(),
  } as Omit<JobDispatch, 'targets'>;
  const sends: AgentSend[] = [];
  for (const [agentId, accesses] of byAgent) {
    const split = splitDispatch(base, accesses);
    for (const deviceId of split.tooLarge) {
      const message = 'The job with this device’s access material exceeds the MQTT message size limit';
      failures.push({ deviceId, error: { code: 'limit', message } });
    }
    if (split.bodies.length > 0) sends.push({ agentId, bodies: split.bodies });
  }
  return { sends, failures, noAgent };
}

async function failTargets(
  q: Queryable,
  tenantId: string,
  jobId: string,
  failures: Failure[],
): Promise<void> {
  for (const f of [...failures].sort((a, b) => a.deviceId.localeCompare(b.deviceId))) {
    await applyTargetTransition(q, tenantId, jobId, f.deviceId, 'failed', { error: f.error });
  }
}

export function createMqttJobDispatcher({
  db,
  mqtt,
  secrets,
  log,
  live,
}: MqttJobDispatcherDeps): MqttJobDispatcher {
  /** Publishes each agent's bodies in order; returns, per agent, the devices handed to the broker. */
  async function publish(
    tenantId: string,
    jobId: string,
    sends: AgentSend[],
  ): Promise<Map<string, string[]>> {
    const sent = new Map<string, string[]>();
    await Promise.all(
      sends.map(async ({ agentId, bodies }) => {
        const devices: string[] = [];
        try {
          for (const body of bodies) {
            await mqtt.publish(tenantId, agentId, 'jobs', body);
            devices.push(...body.targets.map((t) => t.deviceId));
          }
        } catch (err) {
          // What was not handed over stays as it was; the agent's next connection re-sends it.
          log.warn({ err, tenantId, jobId, agentId }, 'job dispatch publish failed');
        }
        if (devices.length > 0) sent.set(agentId, devices);
      }),
    );
    return sent;
  }

  /** Sends a job's unreceipted targets (queued only, for a first dispatch), or expires them. */
  async function send(tenantId: string, jobId: string, opts: { agentId?: string; queuedOnly?: boolean }) {
    let changed = false;
    const plan = await db.withTenant(tenantId, async (q) => {
      changed = false;
      const job = await repo.getDispatchJob(q, jobId);
      if (!job || isTerminalStatus(job.status) || job.cancelRequested) return null;
      if (job.overdue) {
        await repo.finishActiveTargets(q, tenantId, jobId, 'expired', EXPIRED);
        await recomputeJobStatus(q, tenantId, jobId);
        changed = true;
        log.info({ tenantId, jobId }, 'job expired before dispatch');
        return null;
      }
      const targets = await repo.unreceiptedTargets(q, jobId, opts);
      const prepared = await prepare(q, secrets, tenantId, job, targets);
      if (prepared.noAgent.length > 0) await repo.noteNoAgent(q, tenantId, jobId, prepared.noAgent);
      if (prepared.failures.length > 0) {
        await failTargets(q, tenantId, jobId, prepared.failures);
        await recomputeJobStatus(q, tenantId, jobId);
        changed = true;
        log.warn({ tenantId, jobId, failed: prepared.failures.length }, 'job targets cannot be dispatched');
      }
      return prepared;
    });
    if (changed) live?.jobChanged(tenantId, jobId);
    if (!plan || plan.sends.length === 0) return;
    const sent = await publish(tenantId, jobId, plan.sends);
    if (sent.size === 0) return;
    const at = new Date();
    const pairs = [...sent].flatMap(([agentId, devices]) =>
      devices.map((deviceId) => ({ deviceId, agentId })),
    );
    await db.withTenant(tenantId, async (q) => {
      await repo.markDispatched(q, tenantId, jobId, pairs, at);
      await recomputeJobStatus(q, tenantId, jobId);
    });
    live?.jobChanged(tenantId, jobId);
    log.info({ tenantId, jobId, agents: sent.size }, 'job dispatched');
  }

  /** Tells agents to stop their active targets, then cancels those no agent confirmed holding. */
  async function cancelOn(tenantId: string, jobId: string, agentId?: string): Promise<void> {
    const byAgent = await db.withTenant(tenantId, (q) => repo.activeTargetsByAgent(q, jobId, agentId));
    const told: string[] = [];
    for (const [agent, deviceIds] of byAgent) {
      try {
        for (let i = 0; i < deviceIds.length; i += MAX_TARGETS_PER_DISPATCH) {
          const targetIds = deviceIds.slice(i, i + MAX_TARGETS_PER_DISPATCH);
          await mqtt.publish(tenantId, agent, 'cancel', { jobId, targetIds });
        }
        told.push(agent);
      } catch (err) {
        log.warn({ err, tenantId, jobId, agentId: agent }, 'job cancel publish failed');
      }
    }
    if (told.length === 0) return;
    await db.withTenant(tenantId, async (q) => {
      const only = { agentIds: told, unreceipted: true } as const;
      await repo.finishActiveTargets(q, tenantId, jobId, 'cancelled', CANCELLED_UNRECEIPTED, only);
      await recomputeJobStatus(q, tenantId, jobId);
    });
    live?.jobChanged(tenantId, jobId);
  }

  return {
    dispatch: (tenantId, jobId) => send(tenantId, jobId, { queuedOnly: true }),
    cancel: (tenantId, jobId) => cancelOn(tenantId, jobId),
    async resendUnreceipted(tenantId, agentId) {
      const jobs = await db.withTenant(tenantId, async (q) => {
        const ids = await repo.jobsPendingForAgent(q, agentId);
        const out: { id: string; cancel: boolean }[] = [];
        for (const id of ids) {
          const job = await repo.getDispatchJob(q, id);
          if (job) out.push({ id, cancel: job.cancelRequested });
        }
        return out;
      });
      for (const job of jobs) {
        try {
          if (job.cancel) await cancelOn(tenantId, job.id, agentId);
          else await send(tenantId, job.id, { agentId });
        } catch (err) {
          log.error({ err, tenantId, agentId, jobId: job.id }, 'job re-send failed');
        }
      }
      if (jobs.length > 0) log.info({ tenantId, agentId, jobs: jobs.length }, 'unreceipted jobs re-sent');
    },
  };
}

type SweepOptions = { limit?: number; live?: Pick<LiveNotifier, 'jobChanged'> | undefined };

/**
 * The jobs `find` names in every tenant (system context), up to `limit`, each handled by
 * `settle` in its own transaction; a job whose `settle` counts something is announced to live
 * views. Returns the sum of the counts.
 */
async function sweepJobs(
  db: Db,
  opts: SweepOptions,
  find: (q: Queryable, limit: number) => Promise<{ tenantId: string; id: string }[]>,
  settle: (q: Queryable, job: { tenantId: string; id: string }) => Promise<number>,
): Promise<number> {
  const jobs = await db.asSystem((q) => find(q, opts.limit ?? 500));
  let total = 0;
  for (const job of jobs) {
    const n = await db.asSystem((q) => settle(q, job));
    if (n > 0) opts.live?.jobChanged(job.tenantId, job.id);
    total += n;
  }
  return total;
}

/**
 * Expires the targets of jobs past their deadline in every tenant (system context), up to
 * `limit` jobs per call, each in its own transaction. Returns how many targets expired.
 */
export function expireOverdueJobs(db: Db, opts: SweepOptions = {}): Promise<number> {
  return sweepJobs(db, opts, repo.overdueJobs, async (q, job) => {
    const n = await repo.finishActiveTargets(q, job.tenantId, job.id, 'expired', EXPIRED);
    await recomputeJobStatus(q, job.tenantId, job.id);
    return n;
  });
}

/**
 * Counts again the jobs still active with no active target left (see `strandedJobs`), each in
 * its own transaction under the job-row lock every recount takes; returns how many changed.
 */
export function settleStrandedJobs(db: Db, opts: SweepOptions = {}): Promise<number> {
  return sweepJobs(db, opts, repo.strandedJobs, async (q, job) =>
    (await recomputeJobStatus(q, job.tenantId, job.id))?.changed ? 1 : 0,
  );
}

/**
 * Runs `expireOverdueJobs`, then `settleStrandedJobs`, every `everyMs` (default a minute) until
 * `stop()`; runs never overlap.
 */
export function startExpirySweep(opts: {
  db: Db;
  log: DispatchLog;
  everyMs?: number;
  live?: Pick<LiveNotifier, 'jobChanged'> | undefined;
}): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    expireOverdueJobs(opts.db, { live: opts.live })
      .then(async (n) => {
        if (n > 0) opts.log.info({ targets: n }, 'overdue job targets expired');
        const settled = await settleStrandedJobs(opts.db, { live: opts.live });
        if (settled > 0)
          opts.log.warn({ jobs: settled }, 'jobs left active without active targets counted again');
      })
      .catch((err: unknown) => opts.log.error({ err }, 'job expiry sweep failed'))
      .finally(() => {
        running = false;
      });
  }, opts.everyMs ?? 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
