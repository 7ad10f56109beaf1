import { Counter, Gauge, type Registry } from 'prom-client';

/** The broker's Prometheus series; label values are channels and fixed reason words only. */
export interface MqttMetrics {
  /** Valid messages from agents, by channel. */
  messages: Counter<'channel'>;
  /** Messages dropped before any handler saw them. */
  invalid: Counter<'channel' | 'reason'>;
  /** Handlers that threw or rejected. */
  handlerErrors: Counter<'channel'>;
  /** Connections, publishes and subscriptions the broker refused. */
  denied: Counter<'operation' | 'reason'>;
  /** Authenticated agent connections open now (embedded broker only). */
  connections: Gauge;
}

/** Creates the series in `registry`, or reuses them when a previous broker on it made them. */
export function mqttMetrics(registry: Registry): MqttMetrics {
  return {
    messages: counter(registry, 'drm_hub_mqtt_messages_total', 'Valid MQTT messages from agents by channel', [
      'channel',
    ]),
    invalid: counter(
      registry,
      'drm_hub_mqtt_invalid_messages_total',
      'MQTT messages from agents dropped as invalid, by channel and reason',
      ['channel', 'reason'],
    ),
    handlerErrors: counter(
      registry,
      'drm_hub_mqtt_handler_errors_total',
      'MQTT message handlers that failed, by channel',
      ['channel'],
    ),
    denied: counter(
      registry,
      'drm_hub_mqtt_denied_total',
      'MQTT connections, publishes and subscriptions refused by the broker, by operation and reason',
      ['operation', 'reason'],
    ),
    connections: gauge(
      registry,
      'drm_hub_mqtt_agent_connections',
      'Authenticated agent connections open now',
    ),
  };
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]) {
  const known = registry.getSingleMetric(name);
  if (known) return known as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  const known = registry.getSingleMetric(name);
  if (known) return known as Gauge;
  return new Gauge({ name, help, registers: [registry] });
}
