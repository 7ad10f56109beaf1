import { type ChannelBody, encodeMessage, type HubToAgentChannel, messageFor, topicFor } from '@drm/protocol';

export interface Outbound {
  topic: string;
  payload: Buffer;
}

/**
 * Wraps a body in a fresh envelope for an agent's channel. Throws (in the caller's stack, not a
 * broker's) when the ids are not uuids or the message would exceed its channel's limit, which the
 * agent would drop unread: a producer splits large payloads instead.
 */
export function outbound<C extends HubToAgentChannel>(
  tenantId: string,
  agentId: string,
  channel: C,
  body: ChannelBody<C>,
): Outbound {
  const topic = topicFor(tenantId, agentId, channel);
  const { text, bytes, fits, limit } = encodeMessage(messageFor(channel, body));
  if (!fits) throw new RangeError(`${channel} message is ${bytes} bytes, over the ${limit}-byte limit`);
  return { topic, payload: Buffer.from(text, 'utf8') };
}
