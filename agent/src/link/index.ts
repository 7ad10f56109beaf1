export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, Reconnector } from './backoff.js';
export { INVALID_INBOUND_KEY, type InvalidCounts, type InvalidReason } from './invalid-inbound.js';
export { LinkDownError, OutboundMessageError } from './errors.js';
export { MqttLink, type MqttLinkOptions } from './mqtt-link.js';
