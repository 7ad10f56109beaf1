export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, Reconnector } from './backoff.js';
export { INVALID_INBOUND_KEY, type InvalidCounts, type InvalidReason } from './invalid-inbound.js';
export { LinkDownError, MqttLink, type MqttLinkOptions, OutboundMessageError } from './mqtt-link.js';
