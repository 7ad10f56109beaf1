import type { AgentToHubChannel, ChannelBody, ChannelMessage, HubToAgentChannel } from '@drm/protocol';
import type { Logger } from 'pino';

/** An authenticated agent, as the broker knows it from its MQTT credentials. */
export interface AgentIdentity {
  tenantId: string;
  agentId: string;
}

export interface InboundContext extends AgentIdentity {
  /** The hub's receive time: an agent's clock (and a last will's `ts`) may be stale. */
  receivedAt: Date;
  log: Logger;
  /**
   * The payload's JSON text when it holds exactly the validated message (nothing stripped or
   * changed by validation), for a handler that stores it as sent; null otherwise.
   */
  payloadText?: () => string | null;
}

/**
 * Handles one validated message from an agent. It runs after the envelope was parsed with
 * the channel's schema and the topic's tenant and agent were matched to the sender. A
 * handler that throws is logged and counted; it never reaches the broker.
 */
export type InboundHandler<C extends AgentToHubChannel> = (
  message: ChannelMessage<C>,
  ctx: InboundContext,
) => Promise<void>;

/**
 * The hub's side of MQTT, the same for the embedded broker and for an external one: typed
 * publishing to an agent, handlers per inbound channel, and connection events.
 */
export interface MqttHub {
  /**
   * Publishes `body` in a fresh envelope to the agent's channel, QoS 1; resolves when handed to
   * the broker. The embedded broker keeps no `config` for an agent that is not connected (it is
   * pushed its current config whenever it connects); other messages wait in its session.
   */
  publish<C extends HubToAgentChannel>(
    tenantId: string,
    agentId: string,
    channel: C,
    body: ChannelBody<C>,
  ): Promise<void>;
  /** Registers the one handler of an inbound channel. */
  handle<C extends AgentToHubChannel>(channel: C, handler: InboundHandler<C>): void;
  /** Called after an agent connects (and is subscribed), e.g. to re-send unreceipted jobs. */
  onAgentConnected(listener: (agent: AgentIdentity) => Promise<void> | void): void;
  /** Called when an agent's connection ends, cleanly or not. */
  onAgentDisconnected(listener: (agent: AgentIdentity) => Promise<void> | void): void;
  /** Drops an agent's connection now (revocation); the broker then refuses its credentials. */
  disconnectAgent(tenantId: string, agentId: string): void;
  /**
   * The agent's password changed (a rotation ended): forget any credentials remembered for it,
   * so that the old password is refused from now on. Connections stay up.
   */
  credentialsChanged(tenantId: string, agentId: string): void;
  /** The port the embedded broker listens on (null for an external broker). */
  readonly port: number | null;
}
