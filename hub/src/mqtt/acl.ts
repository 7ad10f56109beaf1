import {
  type AgentToHubChannel,
  HUB_TO_AGENT,
  isAgentToHub,
  MAX_MESSAGE_BYTES,
  parseTopic,
  RETAINED_CHANNELS,
  topicFor,
} from '@drm/protocol';
import type { AgentIdentity } from './types.js';

/**
 * What an agent may do on the embedded broker. Pure functions over topic strings, so the rules
 * are tested without a broker; an external broker needs the same rules in its own ACL
 * (deploy/mosquitto-acl.example).
 */

export type PublishDenial = 'foreign-topic' | 'not-agent-channel' | 'retain' | 'too-large';
export type PublishVerdict = { ok: true; channel: AgentToHubChannel } | { ok: false; reason: PublishDenial };

/**
 * An agent publishes only to its own agent-to-hub channels, retains only on `status`, and
 * never more than MAX_MESSAGE_BYTES. `reason` is a fixed word, fit for a metric label.
 */
export function checkPublish(
  who: AgentIdentity,
  topic: string,
  retain: boolean,
  bytes: number,
): PublishVerdict {
  const parsed = parseTopic(topic);
  if (!parsed || parsed.tenantId !== who.tenantId || parsed.agentId !== who.agentId) {
    return { ok: false, reason: 'foreign-topic' };
  }
  if (!isAgentToHub(parsed.channel)) return { ok: false, reason: 'not-agent-channel' };
  if (retain && !RETAINED_CHANNELS.includes(parsed.channel)) return { ok: false, reason: 'retain' };
  if (bytes > MAX_MESSAGE_BYTES) return { ok: false, reason: 'too-large' };
  return { ok: true, channel: parsed.channel };
}

/**
 * An agent subscribes only to the exact topics of its own hub-to-agent channels: a filter with
 * `+` or `#` is refused even when it would match nothing but its own topics, so the rule stays
 * a string comparison that cannot be widened by a wildcard.
 */
export function checkSubscribe(who: AgentIdentity, filter: string): boolean {
  return ownSubscriptions(who).has(filter);
}

/** Why a last will is refused, or null when it is the agent's own `status` topic within size. */
export function checkWill(
  who: AgentIdentity,
  will: { topic: string; payload: Buffer | string; retain?: boolean | undefined } | undefined,
): string | null {
  if (!will) return null;
  if (will.topic !== topicFor(who.tenantId, who.agentId, 'status')) {
    return 'the last will must be the agent’s own status topic';
  }
  if (Buffer.byteLength(will.payload) > MAX_MESSAGE_BYTES) return 'the last will is too large';
  return null;
}

/**
 * Client ids are the broker's session keys, and a CONNECT with a live session's id takes that
 * session over [MQTT-3.1.4-2]; so one agent must not be able to pick another agent's id. An
 * agent's id starts with its own agent id; ids the broker generated for an empty client id
 * (clean sessions only) are random and cannot collide.
 */
export function checkClientId(who: AgentIdentity, clientId: string, generated: boolean): boolean {
  if (generated) return true;
  return clientId === who.agentId || clientId.startsWith(`${who.agentId}-`);
}

function ownSubscriptions(who: AgentIdentity): Set<string> {
  return new Set(HUB_TO_AGENT.map((channel) => topicFor(who.tenantId, who.agentId, channel)));
}
