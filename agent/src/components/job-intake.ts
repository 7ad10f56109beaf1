import type { Logger } from 'pino';
import type { ChannelMessage, ConfigAck, JobCancel, ReceiptedTargets } from '@drm/protocol';
import { LinkDownError, type MqttLink } from '../link/index.js';
import type { Store } from '../store/index.js';
import { receiptChunks } from '../store/inbox.js';
import type { Component } from './component.js';

export interface JobIntakeOptions {
  link: Pick<MqttLink, 'on' | 'onConnected' | 'publish' | 'reject'>;
  store: Pick<Store, 'inbox' | 'desired'>;
  /** This agent's tenant: a dispatch naming another one is dropped. */
  tenantId: string;
  log: Logger;
  /** New targets are in the inbox (the executor wakes up). */
  onJobs: () => void;
  /** The hub cancelled a job or some of its targets. */
  onCancel: (cancel: JobCancel) => void;
  /** A new desired state is stored (the scheduler and the trap receiver re-read it). */
  onConfig: () => void;
  /** How often finished targets are pruned from the inbox; default hourly. */
  pruneEveryMs?: number;
  /** Wall clock, in ms (tests). */
  now?: () => number;
}

export const DEFAULT_PRUNE_EVERY_MS = 60 * 60_000;
/**
 * How long a finished, receipted target stays in the inbox after its job's deadline (and its
 * own end): the hub sends a job again only until its deadline, so a re-delivery finds it, with
 * a day's margin for a clock that differs from the hub's.
 */
export const INBOX_RETENTION_MS = 24 * 60 * 60_000;

/**
 * What the hub tells the agent to do: `jobs` into the SQLite inbox, then a receipt (a broker's
 * PUBACK says nothing about storage, so the receipt is sent only after the commit, and after
 * every delivery, duplicates included: a re-delivery means the hub missed the earlier one);
 * `cancel` to the executor; `config` into the desired state, then a `config-ack`.
 */
export class JobIntake implements Component {
  readonly #log: Logger;
  /**
   * Targets stored and not yet receipted in this connection, by job, sent together on the next
   * turn. Per target, not per job: a job the hub split over several messages is receipted as
   * its parts arrive, and a part that never arrives is sent again.
   */
  readonly #toReceipt = new Map<string, Set<string>>();
  #flush: NodeJS.Immediate | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;

  constructor(private readonly opts: JobIntakeOptions) {
    this.#log = opts.log.child({ component: 'intake' });
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { link } = this.opts;
    link.on('jobs', (m) => this.#onJobs(m));
    link.on('cancel', (m) => this.#onCancel(m));
    link.on('config', (m) => this.#onConfig(m));
    link.onConnected(() => this.sendPendingReceipts());
    this.prune();
    this.#pruneTimer = setInterval(() => this.prune(), this.opts.pruneEveryMs ?? DEFAULT_PRUNE_EVERY_MS);
    this.#pruneTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearImmediate(this.#flush);
    this.#flush = undefined;
    clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
  }

  /**
   * Deletes the targets that finished, were receipted, and whose job's deadline passed more
   * than `INBOX_RETENTION_MS` ago: without it the inbox grows with every job ever run, and the
   * status counts read it all. Returns how many went; a failure is logged and tried next time.
   */
  prune(): number {
    try {
      const before = new Date((this.opts.now?.() ?? Date.now()) - INBOX_RETENTION_MS);
      const pruned = this.opts.store.inbox.prune(before);
      if (pruned > 0) this.#log.debug({ pruned }, 'finished targets pruned from the inbox');
      return pruned;
    } catch (err) {
      this.#log.warn({ err }, 'inbox prune failed');
      return 0;
    }
  }

  /**
   * Receipts for every job stored and not yet receipted, oldest first: those whose receipt was
   * lost with a connection, or never sent because the agent stopped first.
   */
  async sendPendingReceipts(): Promise<void> {
    for (;;) {
      const targets = this.opts.store.inbox.pendingReceipts();
      if (targets.length === 0) return;
      if (!(await this.#receipt(targets))) return;
    }
  }

  #onJobs(message: ChannelMessage<'jobs'>): void {
    const dispatch = message.body;
    if (dispatch.tenantId.toLowerCase() !== this.opts.tenantId.toLowerCase()) {
      // The broker confines the hub's messages to our topic; a mismatch is a hub bug or a forgery.
      this.opts.link.reject('jobs', 'identity', `job ${dispatch.jobId} names tenant ${dispatch.tenantId}`);
      return;
    }
    const outcome = this.opts.store.inbox.put(dispatch);
    this.#log.info(
      { jobId: outcome.jobId, kind: dispatch.kind, stored: outcome.inserted, duplicates: outcome.duplicates },
      'job received',
    );
    const devices = this.#toReceipt.get(outcome.jobId) ?? new Set<string>();
    for (const t of dispatch.targets) devices.add(t.deviceId.toLowerCase());
    this.#toReceipt.set(outcome.jobId, devices);
    this.#flush ??= setImmediate(() => {
      this.#flush = undefined;
      void this.#sendQueuedReceipts();
    });
    if (outcome.inserted > 0) this.opts.onJobs();
  }

  async #sendQueuedReceipts(): Promise<void> {
    if (this.#stopped || this.#toReceipt.size === 0) return;
    const pairs = [...this.#toReceipt].flatMap(([jobId, devices]) =>
      [...devices].map((deviceId) => [jobId, deviceId] as const),
    );
    this.#toReceipt.clear();
    for (const targets of receiptChunks(pairs)) {
      // Not sent: the rows stay unreceipted and go out with the next connection's receipts.
      if (this.#stopped || !(await this.#receipt(targets))) return;
    }
  }

  /** Sends one receipt and marks its targets receipted once the broker has it. */
  async #receipt(targets: ReceiptedTargets[]): Promise<boolean> {
    try {
      await this.opts.link.publish('receipts', { jobIds: targets.map((t) => t.jobId), targets });
    } catch (err) {
      const count = targets.reduce((n, t) => n + t.deviceIds.length, 0);
      if (err instanceof LinkDownError) this.#log.debug({ targets: count }, 'receipt waits for the hub');
      else this.#log.error({ err }, 'receipt not sent');
      return false;
    }
    this.opts.store.inbox.markReceipted(targets);
    return true;
  }

  #onCancel(message: ChannelMessage<'cancel'>): void {
    this.opts.onCancel(message.body);
  }

  async #onConfig(message: ChannelMessage<'config'>): Promise<void> {
    const config = message.body;
    let ack: ConfigAck;
    let stored = false;
    try {
      const outcome = this.opts.store.desired.put(config);
      stored = outcome.stored;
      // The revision held: for a stale message it is the newer one, and the hub learns that.
      ack = {
        revision: outcome.revision,
        ok: true,
        // Only for a password stored now or before: a stale config's is not taken, nor named.
        ...(outcome.rotationId && { rotationId: outcome.rotationId }),
      };
      if (outcome.newPassword) this.#log.info('new MQTT password stored; the next login uses it');
      if (stored) {
        this.#log.info(
          { revision: config.revision, devices: config.devices.length, schedules: config.schedules.length },
          'desired state stored',
        );
      } else {
        this.#log.info({ revision: config.revision, held: outcome.revision }, 'stale desired state ignored');
      }
    } catch (err) {
      this.#log.error({ err, revision: config.revision }, 'desired state not stored');
      ack = { revision: config.revision, ok: false, error: (err as Error).message.slice(0, 2000) };
    }
    try {
      await this.opts.link.publish('config-ack', ack);
    } catch (err) {
      // The hub pushes the desired state again on the next connection.
      if (!(err instanceof LinkDownError)) this.#log.error({ err }, 'config-ack not sent');
    }
    if (stored) this.opts.onConfig();
  }
}
