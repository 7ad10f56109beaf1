import { randomUUID } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import {
  AGENT_TO_HUB,
  type AgentToHubChannel,
  type ChannelBody,
  type ChannelMessage,
  type HubToAgentChannel,
  sharedSubscription,
} from '@drm/protocol';
import type { Logger } from 'pino';
import { AgentListeners } from './agent-listeners.js';
import { InboundDispatcher } from './inbound.js';
import type { MqttMetrics } from './metrics.js';
import { outbound } from './outbound.js';
import type { Presence } from './presence.js';
import type { AgentIdentity, InboundContext, InboundHandler, MqttHub } from './types.js';

export interface ExternalBrokerOptions {
  /** MQTT_URL; a user name and password in it are used unless given below. */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Shared-subscription group; every replica of one deployment uses the same. Default `hub`. */
  shareGroup?: string | undefined;
  /** How long start-up waits for the first connection before going on unready; default 5 s. */
  connectWaitMs?: number | undefined;
  presence: Presence;
  metrics: MqttMetrics;
  log: Logger;
}

/**
 * How the hub connects to an external broker (its ingestion link, and its dynamic-security
 * link): MQTT 3.1.1, a fresh session, reconnecting every 2 s, subscribing itself on each
 * connection.
 */
export function hubClientOptions(
  clientIdPrefix: string,
  login: { username?: string | undefined; password?: string | undefined },
): IClientOptions {
  return {
    protocolVersion: 4,
    clientId: `${clientIdPrefix}-${randomUUID()}`,
    clean: true,
    reconnectPeriod: 2_000,
    connectTimeout: 10_000,
    resubscribe: false,
    ...(login.username !== undefined && { username: login.username }),
    ...(login.password !== undefined && { password: login.password }),
  };
}

/**
 * The hub as a client of an external broker (Mosquitto, EMQX, HiveMQ, VerneMQ), for several
 * hub replicas. Replicas split the agent-to-hub channels through shared subscriptions.
 *
 * What the embedded broker checks itself is the external broker's job here: authenticating
 * agents with their enrollment credentials, confining each to its own topics (see
 * deploy/mosquitto-acl.example), and dropping a revoked agent; with MQTT_AGENT_AUTH=
 * mosquitto-dynsec the hub keeps those logins itself (`dynsec.ts`). The hub cannot tell which
 * client published a message, so it trusts the topic; it still validates every payload.
 */
export class ExternalMqttHub implements MqttHub {
  readonly port = null;
  private readonly inbound: InboundDispatcher;
  private readonly connected: AgentListeners;
  private readonly disconnected: AgentListeners;
  private subscribed = false;

  private client: MqttClient | null = null;

  private constructor(
    private readonly opts: ExternalBrokerOptions,
    private readonly connect: (url: string, options: IClientOptions) => MqttClient,
  ) {
    const { log, metrics, presence } = opts;
    this.connected = new AgentListeners(log, 'onAgentConnected');
    this.disconnected = new AgentListeners(log, 'onAgentDisconnected');
    this.inbound = new InboundDispatcher({
      log,
      metrics,
      onSeen: (who, channel, at) => presence.seen(who, channel, at),
      afterHandled: (channel, message, ctx) => this.afterHandled(channel, message, ctx),
    });
  }

  static async create(opts: ExternalBrokerOptions): Promise<ExternalMqttHub> {
    // Loaded only in this mode: the embedded broker does not need an MQTT client library.
    const { connect } = await import('mqtt').catch((err: unknown) => {
      throw new Error('MQTT_URL is set but the mqtt package is not installed', { cause: err });
    });
    return new ExternalMqttHub(opts, connect);
  }

  /**
   * Connects and subscribes; waits for the first connection a few seconds at most, then goes on
   * unready (the readiness check says why) while mqtt.js keeps retrying.
   */
  async start(): Promise<void> {
    const client = this.connect(this.opts.url, hubClientOptions('drm-hub', this.opts));
    this.client = client;
    const first = this.wire(client);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.opts.connectWaitMs ?? 5_000);
    });
    const outcome = await Promise.race([first, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.opts.log.error(
        { url: redacted(this.opts.url) },
        'MQTT broker not reachable yet; the hub keeps trying',
      );
    }
  }

  async publish<C extends HubToAgentChannel>(
    tenantId: string,
    agentId: string,
    channel: C,
    body: ChannelBody<C>,
  ): Promise<void> {
    const { topic, payload } = outbound(tenantId, agentId, channel, body);
    // mqtt.js would queue it until a reconnection; the caller's database state is the queue.
    if (!this.client?.connected) throw new Error('not connected to the MQTT broker');
    await this.client.publishAsync(topic, payload, { qos: 1, retain: false });
  }

  handle<C extends AgentToHubChannel>(channel: C, handler: InboundHandler<C>): void {
    this.inbound.handle(channel, handler);
  }

  onAgentConnected(listener: (agent: AgentIdentity) => Promise<void> | void): void {
    this.connected.add(listener);
  }

  onAgentDisconnected(listener: (agent: AgentIdentity) => Promise<void> | void): void {
    this.disconnected.add(listener);
  }

  /** The external broker checks passwords itself (its logins are updated by the rotation). */
  credentialsChanged(): void {}

  disconnectAgent(tenantId: string, agentId: string): void {
    this.opts.log.warn(
      { tenantId, agentId },
      'external MQTT broker: the broker must drop and refuse this agent (remove its credentials there)',
    );
  }

  async check(): Promise<void> {
    if (!this.client?.connected) throw new Error('not connected to the MQTT broker');
    if (!this.subscribed) throw new Error('the MQTT broker refused the hub’s subscriptions');
  }

  async close(): Promise<void> {
    await this.client?.endAsync(!this.client.connected);
    await this.inbound.idle();
    await this.opts.presence.idle();
    await Promise.all([this.connected.idle(), this.disconnected.idle()]);
  }

  /** Subscribes on every (re)connection; resolves after the first subscription was answered. */
  private wire(client: MqttClient): Promise<void> {
    const { log } = this.opts;
    const group = this.opts.shareGroup ?? 'hub';
    const filters = AGENT_TO_HUB.map((channel) => sharedSubscription(channel, group));
    client.on('error', (err) => log.warn({ err }, 'MQTT connection error'));
    client.on('offline', () => log.warn('disconnected from the MQTT broker; reconnecting'));
    client.on('message', (topic, payload, packet) => {
      try {
        // A retained message is old state replayed on subscription, not news.
        if (packet.retain) return;
        this.inbound.dispatch(topic, payload, null);
      } catch (err) {
        log.error({ err, topic }, 'MQTT message dispatch failed');
      }
    });
    return new Promise<void>((resolve) => {
      client.on('connect', () => {
        client.subscribe(filters, { qos: 1 }, (err) => {
          this.subscribed = !err;
          if (err) log.error({ err, filters }, 'the MQTT broker refused the hub’s subscriptions');
          else log.info({ url: redacted(this.opts.url), group }, 'connected to the external MQTT broker');
          resolve();
        });
      });
    });
  }

  // Without the broker's connection events, an agent's `status` is what tells the hub it came
  // or went. An agent publishes `online` after it has subscribed, so re-sent jobs reach it.
  private afterHandled(channel: AgentToHubChannel, message: unknown, ctx: InboundContext): void {
    if (channel !== 'status') return;
    const who = { tenantId: ctx.tenantId, agentId: ctx.agentId };
    if ((message as ChannelMessage<'status'>).body.state === 'online') this.connected.emit(who);
    else this.disconnected.emit(who);
  }
}

function redacted(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}
