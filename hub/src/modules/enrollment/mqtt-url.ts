import { type Config, DEFAULT_MQTT_PORT } from '../../config.js';

type MqttConfig = Pick<Config, 'MQTT_PUBLIC_URL' | 'MQTT_URL' | 'MQTT_PORT'>;

// The hub's config accepts the `tcp`/`ssl` aliases that mqtt.js understands; agents are told
// the canonical schemes (`EnrollResponse` allows mqtt, mqtts, ws and wss only).
const SCHEME_ALIASES: Record<string, string> = { 'tcp:': 'mqtt:', 'ssl:': 'mqtts:' };

// A DNS name or IPv4 address, or a bracketed IPv6 address, then an optional port.
const HOST_HEADER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::\d{1,5})?$/;

/** The broker URL as agents must see it: canonical scheme and never the hub's own login. */
function forAgents(url: string): string {
  const u = new URL(url);
  const scheme = SCHEME_ALIASES[u.protocol] ?? u.protocol;
  const port = u.port ? `:${u.port}` : '';
  const path = u.pathname && u.pathname !== '/' ? u.pathname : '';
  return `${scheme}//${u.hostname}${port}${path}`;
}

/** The host part of an HTTP Host header, or null when the header is absent or malformed. */
export function hostOf(hostHeader: string | undefined): string | null {
  const match = hostHeader ? HOST_HEADER.exec(hostHeader.trim()) : null;
  return match?.[1] ?? null;
}

/**
 * The MQTT URL handed to an enrolling agent: MQTT_PUBLIC_URL when set; else the external
 * broker of MQTT_URL; else the embedded broker on the host the agent used to reach the hub
 * (it evidently resolves from the agent's network), on the port it is bound to. Null when
 * none of these is known.
 */
export function agentMqttUrl(
  config: MqttConfig,
  hostHeader: string | undefined,
  boundPort: number | null = null,
): string | null {
  if (config.MQTT_PUBLIC_URL) return forAgents(config.MQTT_PUBLIC_URL);
  if (config.MQTT_URL) return forAgents(config.MQTT_URL);
  const host = hostOf(hostHeader);
  // The port the embedded broker really listens on: MQTT_PORT=0 picks one at start.
  return host ? `mqtt://${host}:${boundPort ?? config.MQTT_PORT ?? DEFAULT_MQTT_PORT}` : null;
}
