import { readFile } from 'node:fs/promises';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client, type Subscription } from 'aedes';
import type { AgentToHubChannel, ChannelBody, HubToAgentChannel } from '@drm/protocol';
import { topicFor } from '@drm/protocol';
import type { Logger } from 'pino';
import { AgentListeners } from './agent-listeners.js';
import { AuthCache, type AuthCacheOptions, type VerifyCredentials } from './auth-cache.js';
import { AgentConnections } from './connections.js';
import { brokerHooks } from './embedded-hooks.js';
import { InboundDispatcher } from './inbound.js';
import type { MqttMetrics } from './metrics.js';
import { outbound } from './outbound.js';
import { LoginThrottle } from './login-throttle.js';
import { limitPacketSize } from './packet-limit.js';
import type { Presence } from './presence.js';
import type { AgentIdentity, InboundHandler, MqttHub } from './types.js';
import { ListenError } from '../lib/listen-error.js';

export interface TlsListenerOptions {
  certFile: string;
  keyFile: string;
  port: number;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /**
   * When the port is only the default (MQTT_PORT unset) and is taken, listen on a free port
   * instead of failing; `port` then reports the real one.
   */
  portFallback?: boolean | undefined;
  tls?: TlsListenerOptions | undefined;
  verify: VerifyCredentials;
  presence: Presence;
  metrics: MqttMetrics;
  log: Logger;
  authCache?: AuthCacheOptions;
  /** Wrong passwords from one address before its logins are refused for the window. */
  loginThrottle?: { maxFailures?: number; windowMs?: number };
}

/**
 * The default broker: aedes inside the hub, on a `net` server the hub owns (and optionally a
 * TLS one). Agents authenticate with their enrollment credentials and are confined to their
 * own topics by the hooks in embedded-hooks.ts.
 */
export class EmbeddedMqttHub implements MqttHub {
  private readonly connected: AgentListeners;
  private readonly disconnected: AgentListeners;
  private readonly announced = new WeakSet<Client>();
  private readonly sockets = new Set<Socket>();
  private readonly servers: Server[] = [];
  private plain: Server | null = null;
  private secure: Server | null = null;

  private constructor(
    private readonly broker: Aedes,
    private readonly opts: EmbeddedBrokerOptions,
    private readonly cache: AuthCache,
    private readonly connections: AgentConnections,
    private readonly inbound: InboundDispatcher,
    /** Each client's remote address, taken when its socket was accepted (login throttle). */
    private readonly addresses: WeakMap<Client, string>,
  ) {
    this.connected = new AgentListeners(opts.log, 'onAgentConnected');
    this.disconnected = new AgentListeners(opts.log, 'onAgentDisconnected');
  }

  static async create(opts: EmbeddedBrokerOptions): Promise<EmbeddedMqttHub> {
    const cache = new AuthCache(opts.verify, opts.authCache);
    const connections = new AgentConnections();
    const { metrics, log, presence } = opts;
    const inbound = new InboundDispatcher({
      log,
      metrics,
      onSeen: (who, ch, at) => presence.seen(who, ch, at),
    });
    const throttle = new LoginThrottle(opts.loginThrottle?.maxFailures, opts.loginThrottle?.windowMs);
    const addresses = new WeakMap<Client, string>();
    const addressOf = (client: Client) => addresses.get(client) ?? 'unknown';
    const hooks = brokerHooks({ cache, throttle, addressOf, connections, inbound, metrics, log });
    const broker = await Aedes.createBroker({ ...hooks, connectTimeout: 10_000 });
    const hub = new EmbeddedMqttHub(broker, opts, cache, connections, inbound, addresses);
    hub.wire();
    return hub;
  }

  get port(): number | null {
    return portOf(this.plain);
  }

  /** The TLS listener's port, when one was configured. */
  get tlsPort(): number | null {
    return portOf(this.secure);
  }

  /** Opens the listeners; errors name the setting to change. */
  async start(): Promise<void> {
    const { host, port, tls: tlsOpts } = this.opts;
    this.plain = net.createServer((socket) => this.accept(socket));
    try {
      await this.listenOn(this.plain, host, port, 'MQTT_PORT');
    } catch (err) {
      if (!this.opts.portFallback || port === 0) throw err;
      this.opts.log.warn(
        { err: (err as Error).message },
        'the default MQTT port is taken; listening on a free port instead (set MQTT_PORT to choose one)',
      );
      this.servers.splice(this.servers.indexOf(this.plain), 1);
      this.plain = net.createServer((socket) => this.accept(socket));
      await this.listenOn(this.plain, host, 0, 'MQTT_PORT');
    }
    if (tlsOpts) {
      const [cert, key] = await Promise.all([readFile(tlsOpts.certFile), readFile(tlsOpts.keyFile)]);
      this.secure = tls.createServer({ cert, key }, (socket) => this.accept(socket));
      this.secure.on('tlsClientError', (err) => this.opts.log.debug({ err }, 'MQTT TLS handshake failed'));
      await this.listenOn(this.secure, host, tlsOpts.port, 'the MQTT TLS port');
    }
    this.opts.log.info({ host, port: this.port, tlsPort: this.tlsPort }, 'embedded MQTT broker listening');
  }

  async publish<C extends HubToAgentChannel>(
    tenantId: string,
    agentId: string,
    channel: C,
    body: ChannelBody<C>,
  ): Promise<void> {
    const { topic, payload } = outbound(tenantId, agentId, channel, body);
    if (this.broker.closed) throw new Error('the MQTT broker is closed');
    if (channel === 'config' && this.connections.clientsOf(tenantId, agentId).length === 0) {
      // Kept for its session, each push (with its devices' secrets) would wait in memory for
      // as long as the agent stays away, however many came after it; the agent is sent its
      // current config whenever it connects. Jobs, cancels and acks are kept for the session:
      // a cancel the agent missed is not sent again.
      this.opts.log.debug({ tenantId, agentId }, 'agent not connected; config not queued for it');
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.broker.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
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

  disconnectAgent(tenantId: string, agentId: string): void {
    for (const client of this.connections.clientsOf(tenantId, agentId)) {
      this.opts.log.info({ tenantId, agentId, clientId: client.id }, 'dropping agent connection');
      client.close();
    }
  }

  credentialsChanged(tenantId: string, agentId: string): void {
    this.cache.forget(tenantId, agentId);
  }

  /** Revocation: forget cached credentials, then drop live connections. */
  revoke(tenantId: string, agentId: string): void {
    this.credentialsChanged(tenantId, agentId);
    this.disconnectAgent(tenantId, agentId);
  }

  /** Readiness: the broker runs and its listener accepts connections. */
  async check(): Promise<void> {
    if (this.broker.closed) throw new Error('the MQTT broker is closed');
    if (!this.plain?.listening) throw new Error('the MQTT listener is not open');
  }

  async close(): Promise<void> {
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    // Sockets that never completed CONNECT are not the broker's clients yet.
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(closed);
    this.cache.clear();
    await this.inbound.idle();
    await this.opts.presence.idle();
    await Promise.all([this.connected.idle(), this.disconnected.idle()]);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    try {
      const client = this.broker.handle(socket);
      this.addresses.set(client, socket.remoteAddress ?? 'unknown');
      const authenticated = () => this.connections.identityOf(client) !== undefined;
      limitPacketSize(client, authenticated, (declared, limit, known) => {
        this.opts.metrics.denied.inc({
          operation: known ? 'publish' : 'connect',
          reason: 'packet-too-large',
        });
        this.opts.log.info(
          { clientId: client.id || undefined, remote: socket.remoteAddress, declared, limit },
          'MQTT packet over the size bound; closing the connection',
        );
        socket.destroy();
      });
    } catch (err) {
      this.opts.log.error({ err }, 'could not hand a connection to the MQTT broker');
      socket.destroy();
    }
  }

  private async listenOn(server: Server, host: string, port: number, setting: string): Promise<void> {
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(setting, port, host, err));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    // Only once it listens: a port that cannot be opened is the caller's to report (or to fall
    // back from), not an error in the log.
    server.on('error', (err) => this.opts.log.error({ err }, 'MQTT listener error'));
  }

  private wire(): void {
    const b = this.broker;
    b.on('client', this.guard(this.onClient));
    b.on('clientReady', this.guard(this.onClientReady));
    b.on('subscribe', this.guard(this.onSubscribe));
    b.on('clientDisconnect', this.guard(this.onClientDisconnect));
    b.on('publish', this.guard(this.onPublish));
    b.on('clientError', this.guard(this.onClientError));
    b.on('connectionError', this.guard(this.onClientError));
    // Not in aedes' typings, but emitted (persistence failures): unheard, it would crash the hub.
    (b as unknown as NodeJS.EventEmitter).on('error', (err: unknown) =>
      this.opts.log.error({ err }, 'MQTT broker error'),
    );
  }

  /** Nothing thrown in a broker event reaches aedes. */
  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        fn(...args);
      } catch (err) {
        this.opts.log.error({ err }, 'MQTT broker event handler failed');
      }
    };
  }

  private readonly onClient = (client: Client): void => {
    if (this.connections.identityOf(client)) this.opts.metrics.connections.inc();
  };

  // A persistent session (clean: false) gets its subscriptions back without a SUBSCRIBE.
  private readonly onClientReady = (client: Client): void => {
    const who = this.connections.identityOf(client);
    const subs = (client as Client & { subscriptions?: Record<string, unknown> }).subscriptions ?? {};
    if (who && topicFor(who.tenantId, who.agentId, 'jobs') in subs) this.announce(client, who);
  };

  private readonly onSubscribe = (subs: Subscription[], client: Client): void => {
    const who = this.connections.identityOf(client);
    if (!who) return;
    const jobs = topicFor(who.tenantId, who.agentId, 'jobs');
    // aedes reports a refused filter with the SUBACK code 0x80 in place of the granted QoS.
    if (subs.some((s) => s.topic === jobs && (s.qos as number) !== 0x80)) this.announce(client, who);
  };

  // Once per connection, after its `jobs` subscription exists: a job re-sent now is delivered.
  private announce(client: Client, who: AgentIdentity): void {
    if (this.announced.has(client) || client.closed) return;
    this.announced.add(client);
    this.connected.emit(who);
  }

  private readonly onClientError = (client: Client, err: Error): void => {
    this.opts.log.debug({ err, clientId: client.id }, 'MQTT client error');
  };

  private readonly onClientDisconnect = (client: Client): void => {
    const who = this.connections.identityOf(client);
    if (!who) return;
    this.opts.metrics.connections.dec();
    // Another connection of the same agent (a second client id) keeps it online.
    if (!this.connections.hasOtherConnected(who, client)) {
      void this.opts.presence.disconnected(who, new Date());
    }
    this.disconnected.emit(who);
  };

  private readonly onPublish = (packet: AedesPublishPacket, client: Client | null): void => {
    const { topic, payload } = packet;
    const who = this.connections.identityOf(client);
    if (!client || !who) return; // the hub's own messages and the broker's $SYS topics
    // The last will of a connection that a newer one replaced is old news.
    if (client.closed && this.connections.hasOtherConnected(who, client)) {
      this.opts.log.debug({ ...who, topic }, 'last will of a replaced connection ignored');
      return;
    }
    this.inbound.dispatch(topic, payload, who);
  };
}

function portOf(server: Server | null): number | null {
  const address = server?.address();
  return address && typeof address === 'object' ? (address as AddressInfo).port : null;
}
