import type { AedesOptions, AuthenticateError, Client, ConnectPacket } from 'aedes';
import { parseTopic } from '@drm/protocol';
import type { Logger } from 'pino';
import { checkClientId, checkPublish, checkSubscribe, checkWill } from './acl.js';
import type { AuthCache } from './auth-cache.js';
import type { AgentConnections } from './connections.js';
import type { InboundDispatcher } from './inbound.js';
import type { LoginThrottle } from './login-throttle.js';
import type { MqttMetrics } from './metrics.js';

export interface HookDeps {
  cache: AuthCache;
  /** Wrong passwords per remote address. */
  throttle: LoginThrottle;
  /** The remote address a client connected from, taken when its socket was accepted. */
  addressOf: (client: Client) => string;
  connections: AgentConnections;
  inbound: InboundDispatcher;
  metrics: MqttMetrics;
  log: Logger;
}

type Hooks = Required<
  Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>
>;

interface ConnectInfo {
  clientId: string;
  will: ConnectPacket['will'];
}

// CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2.3].
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

type Verdict = { ok: true } | { ok: false; code: number; reason: string };

/**
 * The embedded broker's access control as aedes hooks. Each hook answers through its callback
 * and never throws into aedes: a refused CONNECT gets its return code, a refused SUBSCRIBE gets
 * 0x80 in the SUBACK, and a refused PUBLISH closes the connection (MQTT 3.1.1 has no negative
 * PUBACK).
 */
export function brokerHooks(deps: HookDeps): Hooks {
  // The CONNECT packet, kept for `authenticate`, which aedes calls without it.
  const connects = new WeakMap<Client, ConnectInfo>();

  const authenticateAsync = async (
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Verdict> => {
    if (!username || !password)
      return { ok: false, code: BAD_USERNAME_OR_PASSWORD, reason: 'no-credentials' };
    // Taken when the socket was accepted: a socket reset since has no address any more.
    const address = deps.addressOf(client);
    if (!deps.throttle.begin(address)) return { ok: false, code: SERVER_UNAVAILABLE, reason: 'throttled' };
    let agent: Awaited<ReturnType<AuthCache['check']>> | undefined;
    try {
      agent = await deps.cache.check(username, password);
    } finally {
      // Still undefined when the check threw, which is not a wrong password.
      deps.throttle.end(address, agent === null);
    }
    if (!agent) return { ok: false, code: BAD_USERNAME_OR_PASSWORD, reason: 'bad-credentials' };
    if (agent.revoked) return { ok: false, code: NOT_AUTHORIZED, reason: 'revoked' };
    const who = { tenantId: agent.tenantId, agentId: agent.agentId };
    const info = connects.get(client);
    if (checkWill(who, info?.will)) return { ok: false, code: NOT_AUTHORIZED, reason: 'will' };
    if (!checkClientId(who, client.id, info?.clientId === '')) {
      return { ok: false, code: IDENTIFIER_REJECTED, reason: 'client-id' };
    }
    deps.connections.add(client, who);
    client.conn.once('close', () => deps.connections.remove(client));
    return { ok: true };
  };

  const refuse = (client: Client, username: string | undefined, v: { code: number; reason: string }) => {
    deps.metrics.denied.inc({ operation: 'connect', reason: v.reason });
    deps.log.info({ clientId: client.id, username, reason: v.reason }, 'MQTT connection refused');
    const err = new Error(`connection refused: ${v.reason}`) as AuthenticateError;
    err.returnCode = v.code;
    return err;
  };

  return {
    preConnect(client, packet, callback) {
      connects.set(client, { clientId: packet.clientId, will: packet.will });
      callback(null, true);
    },

    authenticate(client, username, password, done) {
      authenticateAsync(client, username, password)
        .then(
          (v) => (v.ok ? done(null, true) : done(refuse(client, username, v), false)),
          (err: unknown) => {
            deps.log.error({ err, clientId: client.id }, 'MQTT authentication failed');
            done(refuse(client, username, { code: SERVER_UNAVAILABLE, reason: 'error' }), false);
          },
        )
        .catch((err: unknown) => deps.log.error({ err }, 'MQTT authenticate callback failed'));
    },

    authorizePublish(client, packet, callback) {
      // The hub's own publishes do not pass through here; a null client is the broker itself.
      const who = deps.connections.identityOf(client);
      let denial: string | null = null;
      if (client && !who) denial = 'unauthenticated';
      else if (who) {
        const v = checkPublish(who, packet.topic, packet.retain, Buffer.byteLength(packet.payload));
        if (!v.ok) {
          denial = v.reason;
          const channel = parseTopic(packet.topic)?.channel;
          if (v.reason === 'too-large' && channel) deps.inbound.countInvalid(channel, 'too-large');
        }
      }
      if (!denial) return callback(null);
      deps.metrics.denied.inc({ operation: 'publish', reason: denial });
      deps.log.info(
        { clientId: client?.id, ...who, topic: packet.topic, reason: denial },
        'MQTT publish refused; closing the connection',
      );
      callback(new Error(`publish refused: ${denial}`));
    },

    authorizeSubscribe(client, subscription, callback) {
      const who = deps.connections.identityOf(client);
      if (who && checkSubscribe(who, subscription.topic)) return callback(null, subscription);
      deps.metrics.denied.inc({ operation: 'subscribe', reason: who ? 'foreign-topic' : 'unauthenticated' });
      deps.log.info({ clientId: client.id, ...who, topic: subscription.topic }, 'MQTT subscription refused');
      // A null subscription makes aedes answer 0x80 for this filter [MQTT-3.9.3].
      callback(null, null);
    },
  };
}
