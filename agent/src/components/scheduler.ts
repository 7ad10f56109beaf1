import type { Logger } from 'pino';
import type { DeviceAccess, ResultError, Schedule, Varbind } from '@drm/protocol';
import { runSnmpJob, type SessionPool, type SnmpJobSpec } from '../drivers/snmp/index.js';
import type { Store } from '../store/index.js';
import type { Component } from './component.js';
import type { ConcurrencyLimiter } from './limiter.js';
import { toSamples } from './samples.js';

export interface SchedulerOptions {
  store: Store;
  pool: SessionPool;
  limiter: ConcurrencyLimiter;
  log: Logger;
  /** Called after samples were appended to the outbox (the drain wakes up). */
  onOutbox: () => void;
  now?: () => number;
  /** In [0, 1), for jitter. */
  random?: () => number;
}

/** Counters of one schedule since start. */
export interface ScheduleStats {
  scheduleId: string;
  /** Runs started (each polls every device of the schedule once). */
  runs: number;
  /** Polls that ended, with or without error. */
  polls: number;
  samples: number;
  errors: number;
  /** Polls not started because the device's previous poll of this schedule was still going. */
  skipped: number;
  lastError?: ResultError & { deviceId: string; at: string };
  /** When the next run is due (epoch ms). */
  nextDueAt: number;
}

interface Plan {
  schedule: Schedule;
  timer: NodeJS.Timeout | undefined;
  /** Nominal start of the current run (epoch ms); null before the first. */
  lastRunAt: number | null;
  nextDueAt: number;
  /** Device polls waiting for their jitter. */
  pending: Map<string, NodeJS.Timeout>;
  /** Device polls running, to abort them when the schedule goes away. */
  running: Map<string, AbortController>;
  stats: ScheduleStats;
}

/** The longest delay a Node timer takes as given. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long `stop()` waits for aborted polls to unwind. */
const STOP_SETTLE_MS = 2000;

/**
 * Runs the recurring polls of the desired state: each enabled schedule on each of its devices,
 * every `intervalSeconds`, each device's poll starting up to `jitterPct` of the interval late.
 * Runs keep a fixed rate from their nominal start, which is stored with the samples, so after a
 * restart polling resumes on time; a run missed while the agent was down happens once, at
 * start. Results go only to the store, so polling goes on while the hub is unreachable.
 */
export class Scheduler implements Component {
  readonly #o: SchedulerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #plans = new Map<string, Plan>();
  readonly #tasks = new Set<Promise<void>>();
  #devices = new Map<string, DeviceAccess>();
  #started = false;
  #stopping = false;

  constructor(opts: SchedulerOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ component: 'scheduler' });
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
  }

  /** Loads the desired state and the schedules' run state, and arms the timers. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#plan();
  }

  /** A new desired state was stored: re-plan, keeping the timing of schedules whose interval is unchanged. */
  reload(): void {
    if (this.#started && !this.#stopping) this.#plan();
  }

  /** Clears every timer and aborts running polls (their samples are not stored). */
  async stop(): Promise<void> {
    if (!this.#started || this.#stopping) return;
    this.#stopping = true;
    for (const id of [...this.#plans.keys()]) this.#drop(id);
    let timer: NodeJS.Timeout | undefined;
    const settle = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_SETTLE_MS);
    });
    await Promise.race([Promise.allSettled([...this.#tasks]), settle]);
    clearTimeout(timer);
  }

  /** Counters per schedule, for status and diagnostics. */
  stats(): ScheduleStats[] {
    return [...this.#plans.values()].map((p) => ({ ...p.stats, nextDueAt: p.nextDueAt }));
  }

  #plan(): void {
    let schedules: Schedule[] = [];
    try {
      const desired = this.#o.store.desired.current();
      schedules = desired?.config.schedules ?? [];
      this.#devices = new Map((desired?.config.devices ?? []).map((d) => [d.deviceId.toLowerCase(), d]));
    } catch (err) {
      this.#log.error({ err }, 'could not read the desired state; keeping the current plan');
      return;
    }
    const wanted = new Set<string>();
    for (const schedule of schedules) {
      const id = schedule.id.toLowerCase();
      if (!schedule.enabled) continue;
      wanted.add(id);
      const plan = this.#plans.get(id);
      if (plan && plan.schedule.intervalSeconds === schedule.intervalSeconds) {
        // Devices, params and jitter apply from the next run; its time stays as it was.
        plan.schedule = schedule;
        continue;
      }
      if (plan) clearTimeout(plan.timer);
      this.#arm(plan ?? this.#newPlan(id, schedule), schedule);
    }
    for (const id of [...this.#plans.keys()]) if (!wanted.has(id)) this.#drop(id);
    this.#log.info({ schedules: this.#plans.size }, 'schedules planned');
  }

  #newPlan(id: string, schedule: Schedule): Plan {
    const plan: Plan = {
      schedule,
      timer: undefined,
      lastRunAt: null,
      nextDueAt: 0,
      pending: new Map(),
      running: new Map(),
      stats: { scheduleId: id, runs: 0, polls: 0, samples: 0, errors: 0, skipped: 0, nextDueAt: 0 },
    };
    this.#plans.set(id, plan);
    return plan;
  }

  /** Arms the plan's timer for its next run: from its last run, or now when new or overdue. */
  #arm(plan: Plan, schedule: Schedule): void {
    plan.schedule = schedule;
    const now = this.#now();
    let due = now;
    try {
      const state = this.#o.store.schedules.get(schedule.id);
      if (state?.lastRunAt) {
        plan.lastRunAt = Date.parse(state.lastRunAt);
        due = plan.lastRunAt + schedule.intervalSeconds * 1000;
      } else if (state) {
        due = Date.parse(state.nextDueAt);
      }
    } catch (err) {
      this.#log.error({ err, scheduleId: schedule.id }, 'could not read schedule state; running it now');
    }
    // A due time more than an interval ahead means the clock went back since it was stored
    // (a box without a clock battery, set again by NTP): the rate starts afresh from now, or
    // the schedule would stop polling for as long as the clock was off.
    const interval = schedule.intervalSeconds * 1000;
    if (due > now + interval) due = now + interval;
    // Overdue (the agent was down): one run now, not one per missed interval.
    this.#setTimer(plan, Math.max(due, now));
  }

  #setTimer(plan: Plan, due: number): void {
    plan.nextDueAt = due;
    // Node turns a delay past 2^31 - 1 ms into 1 ms; never ask for one.
    const delay = Math.min(Math.max(0, due - this.#now()), MAX_TIMER_MS);
    plan.timer = setTimeout(() => this.#fire(plan), delay);
  }

  /** One run: stores its nominal time, then starts each device's poll after its jitter. */
  #fire(plan: Plan): void {
    if (this.#stopping) return;
    const s = plan.schedule;
    const interval = s.intervalSeconds * 1000;
    const now = this.#now();
    // A timer that fires very late (the host slept) counts as overdue, and one that fires an
    // interval or more before its due time (the clock went back) as due now: the rate starts
    // afresh from now either way.
    const late = now - plan.nextDueAt;
    const runAt = late >= interval || late <= -interval ? now : plan.nextDueAt;
    let next = runAt + interval;
    if (next <= now) next = now + interval;
    plan.lastRunAt = runAt;
    plan.stats.runs += 1;
    this.#setTimer(plan, next);
    try {
      this.#o.store.schedules.record(s.id, { lastRunAt: new Date(runAt), nextDueAt: new Date(next) });
    } catch (err) {
      this.#log.error({ err, scheduleId: s.id }, 'could not store the schedule state');
    }
    this.#log.debug(
      { scheduleId: s.id, runAt: new Date(runAt).toISOString(), devices: s.deviceIds.length },
      'run',
    );
    const spread = (interval * s.jitterPct) / 100;
    for (const raw of s.deviceIds) {
      const deviceId = raw.toLowerCase();
      if (plan.pending.has(deviceId) || plan.running.has(deviceId)) {
        plan.stats.skipped += 1;
        this.#log.warn(
          { scheduleId: s.id, deviceId },
          'previous poll still running; this run skips the device',
        );
        continue;
      }
      const delay = Math.floor(this.#random() * spread);
      if (delay <= 0) {
        this.#track(this.#poll(plan, deviceId));
        continue;
      }
      const timer = setTimeout(() => {
        plan.pending.delete(deviceId);
        this.#track(this.#poll(plan, deviceId));
      }, delay);
      plan.pending.set(deviceId, timer);
    }
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  async #poll(plan: Plan, deviceId: string): Promise<void> {
    const s = plan.schedule;
    const ids = { scheduleId: s.id, deviceId };
    if (this.#stopping || this.#plans.get(s.id.toLowerCase()) !== plan) return;
    if (!s.deviceIds.some((id) => id.toLowerCase() === deviceId)) return; // removed since the run began
    const device = this.#devices.get(deviceId);
    if (!device?.snmp) {
      plan.stats.polls += 1;
      this.#failed(plan, deviceId, { code: 'config', message: `device ${deviceId} has no SNMP access` });
      return;
    }
    const controller = new AbortController();
    plan.running.set(deviceId, controller);
    let release: (() => void) | undefined;
    try {
      release = await this.#o.limiter.acquire(deviceId, controller.signal);
      const job = { kind: s.kind, params: s.params } as SnmpJobSpec;
      const result = await runSnmpJob(
        job,
        { host: device.address, access: device.snmp },
        // A poll longer than its interval would only pile up behind itself.
        { pool: this.#o.pool, signal: controller.signal, budgetMs: s.intervalSeconds * 1000 },
      );
      if (controller.signal.aborted) return; // stopped or schedule removed: store nothing
      this.#store(plan, deviceId, result.varbinds ?? [], result.finishedAt);
      this.#log.debug({ ...ids, status: result.status, varbinds: result.varbinds?.length ?? 0 }, 'polled');
      if (result.error) this.#failed(plan, deviceId, result.error);
    } catch (err) {
      if (controller.signal.aborted) return;
      this.#log.error({ err, ...ids }, 'poll failed inside the agent');
      this.#failed(plan, deviceId, { code: 'internal', message: String(err) });
    } finally {
      release?.();
      if (plan.running.get(deviceId) === controller) plan.running.delete(deviceId);
      plan.stats.polls += 1;
    }
  }

  /** Stores the samples with the run's times, in one transaction. */
  #store(plan: Plan, deviceId: string, varbinds: readonly Varbind[], ts: string): void {
    const s = plan.schedule;
    const { samples, skipped } = toSamples(varbinds, { scheduleId: s.id, deviceId, ts, now: this.#now() });
    if (skipped.length > 0) {
      this.#log.debug({ scheduleId: s.id, deviceId, skipped }, 'varbinds without a sample');
    }
    const times = {
      lastRunAt: plan.lastRunAt === null ? null : new Date(plan.lastRunAt),
      nextDueAt: new Date(plan.nextDueAt),
    };
    this.#o.store.schedules.record(s.id, times, samples);
    plan.stats.samples += samples.length;
    if (samples.length === 0) return;
    try {
      this.#o.onOutbox();
    } catch (err) {
      this.#log.error({ err }, 'outbox listener failed');
    }
  }

  #failed(plan: Plan, deviceId: string, error: ResultError): void {
    plan.stats.errors += 1;
    plan.stats.lastError = { ...error, deviceId, at: new Date(this.#now()).toISOString() };
    this.#log.warn(
      { scheduleId: plan.schedule.id, deviceId, code: error.code, message: error.message },
      'poll failed',
    );
  }

  /** Forgets a schedule: its timers are cleared and its running polls aborted. */
  #drop(id: string): void {
    const plan = this.#plans.get(id);
    if (!plan) return;
    clearTimeout(plan.timer);
    for (const timer of plan.pending.values()) clearTimeout(timer);
    for (const controller of plan.running.values()) controller.abort();
    plan.pending.clear();
    this.#plans.delete(id);
  }
}
