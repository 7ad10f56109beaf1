import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { verifyAgentPassword } from '../modules/agents/broker-auth.js';
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
}

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

    app.decorate<MqttHub>('mqtt', hub);
    app.decorate('presence', presence);
    app.decorate('agentRevoked', (tenantId: string, agentId: string) => {
      if (hub instanceof EmbeddedMqttHub) hub.revoke(tenantId, agentId);
      else hub.disconnectAgent(tenantId, agentId);
    });
    app.readyChecks.set('broker', () => hub.check());
    // Started last, once every plugin has registered its handlers and listeners.
    app.addHook('onReady', () => hub.start());
    app.addHook('onClose', () => hub.close());
  },
  { name: 'drm-broker', dependencies: ['drm-db', 'drm-metrics'] },
);
