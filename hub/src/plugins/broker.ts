import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { verifyAgentPassword } from '../modules/agents/broker-auth.js';
import { agentsByAccess } from '../modules/agents/repo.js';
import { type BrokerAccounts, MosquittoDynsec } from '../mqtt/dynsec.js';
import { EmbeddedMqttHub, type TlsListenerOptions } from '../mqtt/embedded-broker.js';
import { ExternalMqttHub } from '../mqtt/external-broker.js';
import { mqttMetrics } from '../mqtt/metrics.js';
import { Presence } from '../mqtt/presence.js';
import type { MqttHub } from '../mqtt/types.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The hub's side of MQTT: publish to agents, handle their messages, connection events. */
    mqtt: MqttHub;
    /** Agent presence; `onChange` tells of committed changes (the live stream listens). */
    presence: Presence;
    /** Agent logins the hub keeps at an external broker (MQTT_AGENT_AUTH); null when it keeps none. */
    brokerAccounts: BrokerAccounts | null;
  }
}

export interface BrokerPluginOptions {
  /** Bind address of the embedded broker (HOST). */
  host?: string | undefined;
  /** Port of the embedded broker (MQTT_PORT); 0 picks a free one, read back from `app.mqtt.port`. */
  port?: number | undefined;
  /** The port is the default, not chosen: if it is taken, use a free one rather than fail. */
  portFallback?: boolean | undefined;
  /** An additional TLS listener of the embedded broker. */
  tls?: TlsListenerOptions | undefined;
  /** An external broker (MQTT_URL): no embedded broker is started. */
  url?: string | undefined;
  /** The hub's own login at the external broker, when not in `url`. */
  username?: string | undefined;
  password?: string | undefined;
  /** Shared-subscription group of the hub replicas at the external broker (default `hub`). */
  shareGroup?: string | undefined;
  /** How long start-up waits for the external broker before going on unready (default 5 s). */
  connectWaitMs?: number | undefined;
  /** Who keeps agent logins at the external broker (MQTT_AGENT_AUTH); default `broker`. */
  agentAuth?: 'broker' | 'mosquitto-dynsec' | undefined;
}

/** The login in an MQTT URL (`mqtt://user:password@host`), percent-decoded. */
function urlLogin(url: string): { username?: string; password?: string } {
  try {
    const u = new URL(url);
    return {
      ...(u.username && { username: decodeURIComponent(u.username) }),
      ...(u.password && { password: decodeURIComponent(u.password) }),
    };
  } catch {
    return {};
  }
}

/** Tries to remove a revoked agent's login at the external broker before leaving it to the reconciliation. */
const REMOVE_ATTEMPTS = 8;

/**
 * MQTT for the hub: aedes embedded (default) or a client of an external broker (`url`).
 * Decorates `app.mqtt`, `app.agentRevoked`, and adds the `broker` readiness check. The broker
 * listens (or the client connects) when the app is ready, so that every inbound handler and
 * connection listener registered by then sees the first messages.
 */
export const brokerPlugin = fp<BrokerPluginOptions>(
  async (app, opts) => {
    // The app's logger is the pino instance app.ts passed in; InboundContext hands out pino loggers.
    const log = (app.log as unknown as Logger).child({ component: 'mqtt' });
    const metrics = mqttMetrics(app.metrics);
    const presence = new Presence({ db: app.db, log });
    const hub: EmbeddedMqttHub | ExternalMqttHub = opts.url
      ? await ExternalMqttHub.create({
          url: opts.url,
          username: opts.username,
          password: opts.password,
          shareGroup: opts.shareGroup,
          connectWaitMs: opts.connectWaitMs,
          presence,
          metrics,
          log,
        })
      : await EmbeddedMqttHub.create({
          host: opts.host ?? '0.0.0.0',
          port: opts.port ?? 1883,
          portFallback: opts.portFallback,
          tls: opts.tls,
          verify: (username, password) => verifyAgentPassword(app.db, username, password),
          presence,
          metrics,
          log,
        });
    hub.handle('status', presence.onStatus);
    const login = opts.url ? urlLogin(opts.url) : {};
    const accounts =
      opts.url && opts.agentAuth === 'mosquitto-dynsec'
        ? await MosquittoDynsec.create({
            url: opts.url,
            username: opts.username ?? login.username,
            password: opts.password ?? login.password,
            knownAgents: () => app.db.asSystem(agentsByAccess),
            log: log.child({ component: 'dynsec' }),
          })
        : null;

    app.decorate<MqttHub>('mqtt', hub);
    app.decorate('presence', presence);
    app.decorate('brokerAccounts', accounts);
    // Deleting a revoked agent's login drops its connection. A failed removal is tried again
    // soon, with a growing wait (the broker may be slow to answer while the link holds), and
    // the reconciliation on reconnecting and every few minutes removes it in any case.
    const retries = new Set<NodeJS.Timeout>();
    const removeLogin = (revoking: BrokerAccounts, tenantId: string, agentId: string, attempt: number) => {
      revoking.remove(agentId).catch((err: unknown) => {
        const again = attempt < REMOVE_ATTEMPTS;
        const waitMs = Math.min(1_000 * 2 ** attempt, 60_000);
        log.error(
          { err, tenantId, agentId, ...(again && { retryInMs: waitMs }) },
          'could not remove the revoked agent’s broker login yet',
        );
        if (!again) return;
        const timer = setTimeout(() => {
          retries.delete(timer);
          removeLogin(revoking, tenantId, agentId, attempt + 1);
        }, waitMs);
        timer.unref();
        retries.add(timer);
      });
    };
    app.addHook('onClose', async () => {
      for (const timer of retries) clearTimeout(timer);
    });
    app.decorate('agentRevoked', (tenantId: string, agentId: string) => {
      if (hub instanceof EmbeddedMqttHub) hub.revoke(tenantId, agentId);
      else if (accounts) removeLogin(accounts, tenantId, agentId, 0);
      else hub.disconnectAgent(tenantId, agentId);
    });
    app.readyChecks.set('broker', async () => {
      await hub.check();
      await accounts?.check();
    });
    // Started last, once every plugin has registered its handlers and listeners.
    app.addHook('onReady', async () => {
      await accounts?.start();
      await hub.start();
    });
    app.addHook('onClose', async () => {
      await hub.close();
      await accounts?.close();
    });
  },
  { name: 'drm-broker', dependencies: ['drm-db', 'drm-metrics'] },
);
