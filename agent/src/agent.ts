import type { Logger } from 'pino';
import { Heartbeat } from './components/heartbeat.js';
import { JobIntake } from './components/job-intake.js';
import { ConcurrencyLimiter } from './components/limiter.js';
import { OutboxDrain } from './components/outbox-drain.js';
import type { Component } from './components/component.js';
import { Executor } from './components/executor.js';
import { Scheduler } from './components/scheduler.js';
import { TrapReceiver } from './components/trap-receiver.js';
import { type AgentConfig, outboxMaxBytes } from './config.js';
import { SessionPool } from './drivers/snmp/index.js';
import { agentVersion } from './enroll.js';
import { MqttLink } from './link/index.js';
import { createAgentLogger } from './logger.js';
import { Store } from './store/index.js';

/** The data folder holds no identity: `drm-agent enroll` comes first. */
export class AgentNotEnrolledError extends Error {
  constructor(dataDir: string) {
    super(
      `${dataDir} holds no enrollment: run drm-agent enroll --hub URL --token TOKEN --data-dir ${dataDir}`,
    );
    this.name = 'AgentNotEnrolledError';
  }
}

export interface AgentOptions {
  config: AgentConfig;
  log?: Logger;
  /** Reported in `status`; this package's version by default. */
  version?: string;
}

/** What a started agent holds; released in reverse by `stop()`. */
interface Running {
  store: Store;
  pool: SessionPool;
  trapReceiver: TrapReceiver;
  /** In start order; the link comes last, so every listener is in place before it connects. */
  components: Component[];
}

/**
 * The composition root of `drm-agent run`: opens the store, builds the components around it
 * and the MQTT link, starts them in order and stops them in reverse.
 *
 * Start order: executor (picks up targets left from before), scheduler, trap receiver,
 * heartbeat, intake, drain, link. The link's on-connect steps therefore run as status
 * `online`, then the receipts still owed, then the outbox. Stop order is the reverse: the link
 * first publishes `offline` and disconnects, so nothing new arrives while the rest winds down.
 */
export class Agent {
  readonly #opts: AgentOptions;
  readonly #log: Logger;
  #running: Running | null = null;
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;

  constructor(opts: AgentOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? createAgentLogger(opts.config.logLevel);
  }

  /**
   * Opens the store (it must hold an identity: run `drm-agent enroll` first), starts the
   * components and the link. Resolves once everything runs; the hub may still be out of reach.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Publishes `offline`, stops the components in reverse, closes the store. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => undefined);
      const running = this.#running;
      this.#running = null;
      if (running) await this.#teardown(running, running.components);
    })();
    return this.#stopping;
  }

  /** The trap receiver's bound UDP port (after `start()`). */
  get trapPort(): number {
    if (!this.#running) throw new Error('the agent is not running');
    return this.#running.trapReceiver.port;
  }

  async #start(): Promise<void> {
    const { config } = this.#opts;
    const log = this.#log;
    const store = Store.open(config.dataDir, { outboxMaxBytes: outboxMaxBytes(config), log });
    const identity = (() => {
      try {
        return store.identity.get();
      } catch (err) {
        store.close();
        throw err;
      }
    })();
    if (!identity) {
      store.close();
      throw new AgentNotEnrolledError(config.dataDir);
    }
    const version = this.#opts.version ?? agentVersion();
    const pool = new SessionPool();
    const limiter = new ConcurrencyLimiter({
      global: config.maxConcurrency,
      perDevice: config.perDeviceConcurrency,
    });
    // Circular by nature: the link sends the heartbeat's statuses, the heartbeat sends through the link.
    let heartbeat: Heartbeat | null = null;
    const link = new MqttLink({
      identity,
      // Read at each connection attempt: a credential rotation stores a new password.
      credentials: () => {
        const held = store.identity.get() ?? identity;
        return { password: held.mqtt.password, previous: held.previousMqttPassword };
      },
      meta: store.meta,
      log,
      lastWill: () => heartbeat!.lastWill(),
      offlineStatus: () => heartbeat!.status('offline'),
      backoff: { maxMs: config.reconnectMaxSeconds * 1000 },
    });
    heartbeat = new Heartbeat({
      link,
      store,
      agentId: identity.agentId,
      version,
      startedAt: new Date(),
      log,
      intervalMs: config.heartbeatSeconds * 1000,
    });
    const drain = new OutboxDrain({ link, store, log });
    const onOutbox = () => drain.wake();
    const executor = new Executor({
      store,
      pool,
      limiter,
      log,
      targetBudgetMs: config.targetBudgetSeconds * 1000,
      onProgress: (event) => link.publishBestEffort('progress', event),
      onOutbox,
    });
    const scheduler = new Scheduler({ store, pool, limiter, log, onOutbox });
    const trapReceiver = new TrapReceiver({
      store,
      log,
      port: config.trapPort,
      host: config.trapHost,
      communities: config.trapCommunities,
      onEvent: onOutbox,
    });
    const intake = new JobIntake({
      link,
      store,
      tenantId: identity.tenantId,
      log,
      onJobs: () => executor.wake(),
      onCancel: (cancel) => executor.cancel(cancel),
      onConfig: () => {
        scheduler.reload();
        trapReceiver.reload();
      },
    });
    const components: Component[] = [executor, scheduler, trapReceiver, heartbeat, intake, drain, link];
    const running: Running = { store, pool, trapReceiver, components };
    const started: Component[] = [];
    try {
      for (const component of components) {
        await component.start();
        started.push(component);
      }
    } catch (err) {
      await this.#teardown(running, started);
      throw err;
    }
    this.#running = running;
    log.info(
      { agentId: identity.agentId, tenantId: identity.tenantId, version, trapPort: trapReceiver.port },
      'agent started',
    );
  }

  /** Stops `components` in reverse (each failure logged, the rest still stopped), then the pool and store. */
  async #teardown(running: Running, components: Component[]): Promise<void> {
    for (const component of [...components].reverse()) {
      try {
        await component.stop();
      } catch (err) {
        this.#log.error({ err, component: component.constructor.name }, 'component did not stop cleanly');
      }
    }
    running.pool.close();
    running.store.close();
    this.#log.info('agent stopped');
  }
}
