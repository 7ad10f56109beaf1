import {
  type EffectiveSnmpOptions,
  effectiveSnmpOptions,
  type JobKind,
  type JobSpec,
  MibNames,
  type ProgressEvent,
  type ResultError,
  type ResultRecord,
  SNMP_DEFAULTS,
  type Varbind,
} from '@drm/protocol';
import { resultError, SnmpError, toResultError } from './errors.js';
import { type SnmpSession, type SnmpTarget, targetLabel } from './session.js';
import type { SessionPool } from './session-pool.js';

export type SnmpJobKind = Extract<JobKind, `snmp.${string}`>;
/** `{kind, params}` of an SNMP job, params as parsed by the protocol (defaults applied). */
export type SnmpJobSpec = Extract<JobSpec, { kind: SnmpJobKind }>;
/** The per-target part of a `ResultRecord`; the executor adds ids and splits large results. */
export type SnmpTargetResult = Pick<
  ResultRecord,
  'status' | 'startedAt' | 'finishedAt' | 'varbinds' | 'error'
>;
/** A `ProgressEvent` without the ids the executor adds. */
export type SnmpProgress = Omit<ProgressEvent, 'jobId' | 'deviceId'>;

export interface RunSnmpJobOptions {
  pool: SessionPool;
  /** The job or target was cancelled: stop and report `cancelled` with what was read. */
  signal?: AbortSignal | undefined;
  /** Time this target may take; the smaller of this and `params.targetBudgetMs` applies. */
  budgetMs?: number | undefined;
  /** `started`, then `varbinds` after each walk page, then `done`. */
  onProgress?: ((progress: SnmpProgress) => void) | undefined;
  /** Name resolver; the bundled MIB modules by default. */
  mib?: MibNames | undefined;
}

interface Outcome {
  varbinds: Varbind[];
  error?: ResultError | undefined;
}

async function execute(
  job: SnmpJobSpec,
  session: SnmpSession,
  effective: EffectiveSnmpOptions,
  signal: AbortSignal,
  onProgress: (progress: SnmpProgress) => void,
  mib: MibNames,
): Promise<Outcome> {
  switch (job.kind) {
    case 'snmp.get':
      return { varbinds: await session.get(job.params.oids, { signal }) };
    case 'snmp.getnext':
      return { varbinds: await session.getNext(job.params.oids, { signal }) };
    case 'snmp.getbulk': {
      const { oids, nonRepeaters } = job.params;
      return { varbinds: await session.getBulk(oids, nonRepeaters, effective.maxRepetitions, { signal }) };
    }
    case 'snmp.set':
      return { varbinds: await session.set(job.params.varbinds, { signal }) };
    case 'snmp.walk': {
      const { oid, method, maxVarbinds } = job.params;
      const walk = await session.walk(oid, {
        method,
        maxVarbinds,
        maxRepetitions: effective.maxRepetitions,
        signal,
        onProgress: (p) => onProgress({ state: 'varbinds', counts: { varbinds: p.varbinds }, done: p.pages }),
        // Named page by page while the walk waits for the device, not all at the end.
        names: (oid) => mib.resolve(oid),
      });
      return { varbinds: walk.varbinds, error: walk.error };
    }
  }
}

function withNames(varbinds: Varbind[], mib: MibNames): Varbind[] {
  return varbinds.map((vb) => {
    if (vb.name !== undefined) return vb;
    const name = mib.resolve(vb.oid);
    return name === undefined ? vb : { ...vb, name };
  });
}

/**
 * Runs one SNMP job on one target and returns its result as data: every failure (timeout,
 * authentication, unreachable device, error-status, budget, cancellation) is a `failed` result
 * with a protocol error code, carrying whatever varbinds were read before it. Never rejects.
 *
 * Timeout, retries and max-repetitions come from `effectiveSnmpOptions` (job params, then the
 * device's profile, then defaults). `params.version` and `credentialId` are ignored: the hub has
 * already resolved them into `target.access`.
 */
export async function runSnmpJob(
  job: SnmpJobSpec,
  target: SnmpTarget,
  opts: RunSnmpJobOptions,
): Promise<SnmpTargetResult> {
  const startedAt = new Date().toISOString();
  const effective = effectiveSnmpOptions(job.params, target.access);
  const budgetMs = Math.min(
    opts.budgetMs ?? Number.POSITIVE_INFINITY,
    job.params.targetBudgetMs ?? SNMP_DEFAULTS.targetBudgetMs,
  );
  const budget = new AbortController();
  const budgetTimer = setTimeout(() => budget.abort(), budgetMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, budget.signal]) : budget.signal;
  const label = targetLabel(target);
  const mib = opts.mib ?? MibNames.shared();
  // A failing progress listener must not turn into a failed job.
  const progress = (p: SnmpProgress) => {
    try {
      opts.onProgress?.(p);
    } catch {
      // progress is best effort (see ProgressEvent)
    }
  };
  progress({ state: 'started', counts: { varbinds: 0 } });

  let outcome: Outcome;
  try {
    const timing = { timeoutMs: effective.timeoutMs, retries: effective.retries };
    outcome = await opts.pool.use(target, timing, (session) =>
      execute(job, session, effective, signal, progress, mib),
    );
  } catch (err) {
    const error =
      err instanceof SnmpError
        ? err.result
        : toResultError(err, { target: label, attempts: effective.retries + 1 });
    outcome = { varbinds: [], error };
  } finally {
    clearTimeout(budgetTimer);
  }

  let { error } = outcome;
  const varbinds = withNames(outcome.varbinds, mib);
  if (error?.code === 'cancelled' && budget.signal.aborted && !opts.signal?.aborted) {
    error = resultError(
      'budget',
      `${label}: target budget of ${budgetMs} ms ran out after ${varbinds.length} varbinds`,
    );
  }
  progress({ state: 'done', counts: { varbinds: varbinds.length } });
  const result: SnmpTargetResult = {
    status: error ? 'failed' : 'succeeded',
    startedAt,
    finishedAt: new Date().toISOString(),
  };
  if (varbinds.length > 0 || !error) result.varbinds = varbinds;
  if (error) result.error = error;
  return result;
}
