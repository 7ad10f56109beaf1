import { isUuid } from './ids.js';

/**
 * MQTT topics: `drm/v1/{tenantId}/{agentId}/{channel}`. This module is the only place where
 * topic strings are built or parsed, so the broker's ACLs, the hub's dispatch table and the
 * agent's subscriptions cannot drift apart.
 */

export const TOPIC_ROOT = 'drm';
export const TOPIC_VERSION = 'v1';

/** Channels the hub publishes and each agent subscribes to. */
export const HUB_TO_AGENT = ['jobs', 'config', 'ack', 'cancel'] as const;
/** Channels each agent publishes and the hub subscribes to. */
export const AGENT_TO_HUB = ['status', 'progress', 'results', 'events', 'receipts', 'config-ack'] as const;
/** Every channel, hub to agent first. */
export const CHANNELS = [...HUB_TO_AGENT, ...AGENT_TO_HUB] as const;

export type HubToAgentChannel = (typeof HUB_TO_AGENT)[number];
export type AgentToHubChannel = (typeof AGENT_TO_HUB)[number];
export type Channel = (typeof CHANNELS)[number];

/** The channel whose last message the broker retains (agent presence, with a last will). */
export const RETAINED_CHANNELS: readonly Channel[] = ['status'];

export interface ParsedTopic {
  tenantId: string;
  agentId: string;
  channel: Channel;
}

const CHANNEL_SET: ReadonlySet<string> = new Set(CHANNELS);

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && CHANNEL_SET.has(value);
}

export function isHubToAgent(channel: Channel): channel is HubToAgentChannel {
  return (HUB_TO_AGENT as readonly string[]).includes(channel);
}

export function isAgentToHub(channel: Channel): channel is AgentToHubChannel {
  return (AGENT_TO_HUB as readonly string[]).includes(channel);
}

function canonicalId(what: string, id: string): string {
  // An id that is not a uuid could carry `/`, `+` or `#` and escape the agent's subtree.
  if (!isUuid(id)) throw new TypeError(`${what} must be a uuid, got ${JSON.stringify(id)}`);
  return id.toLowerCase();
}

/** Builds `drm/v1/{tenantId}/{agentId}/{channel}`; ids are lower-cased. Throws on a non-uuid id. */
export function topicFor(tenantId: string, agentId: string, channel: Channel): string {
  if (!isChannel(channel)) throw new TypeError(`unknown channel ${JSON.stringify(channel)}`);
  return `${agentTopicPrefix(tenantId, agentId)}${channel}`;
}

/**
 * The prefix `drm/v1/{tenantId}/{agentId}/` under which one agent may publish and subscribe;
 * the broker's ACL compares topics against it. Ends with `/` so one id cannot prefix another.
 */
export function agentTopicPrefix(tenantId: string, agentId: string): string {
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${canonicalId('tenantId', tenantId)}/${canonicalId('agentId', agentId)}/`;
}

/**
 * Parses a concrete topic (no wildcards). Strict: exactly five levels, lower-case uuids, a
 * known channel. Returns `null` for anything else, never throws.
 */
export function parseTopic(topic: string): ParsedTopic | null {
  if (typeof topic !== 'string') return null;
  const levels = topic.split('/');
  if (levels.length !== 5) return null;
  const [root, version, tenantId, agentId, channel] = levels as [string, string, string, string, string];
  if (root !== TOPIC_ROOT || version !== TOPIC_VERSION) return null;
  if (!isUuid(tenantId) || tenantId !== tenantId.toLowerCase()) return null;
  if (!isUuid(agentId) || agentId !== agentId.toLowerCase()) return null;
  if (!isChannel(channel)) return null;
  return { tenantId, agentId, channel };
}

/** `drm/v1/+/+/{channel}`: the hub's subscription to one agent-to-hub channel of every agent. */
export function hubSubscriptionFilter(channel: AgentToHubChannel): string {
  if (!isChannel(channel)) throw new TypeError(`unknown channel ${JSON.stringify(channel)}`);
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/+/+/${channel}`;
}

/**
 * `$share/{group}/drm/v1/+/+/{channel}`: an MQTT 5 shared subscription (also understood by
 * Mosquitto, EMQX, HiveMQ and VerneMQ over 3.1.1) so hub replicas split one channel's load.
 */
export function sharedSubscription(channel: AgentToHubChannel, group = 'hub'): string {
  // [MQTT-4.8.2-2] a ShareName must not contain `/`, `+` or `#`.
  if (!/^[^/+#]+$/.test(group)) throw new TypeError(`invalid share group ${JSON.stringify(group)}`);
  return `$share/${group}/${hubSubscriptionFilter(channel)}`;
}

/** The filters one agent subscribes to: its own hub-to-agent channels. */
export function agentSubscriptions(tenantId: string, agentId: string): string[] {
  return HUB_TO_AGENT.map((channel) => topicFor(tenantId, agentId, channel));
}
