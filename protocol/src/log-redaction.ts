/**
 * Where a secret could show up in a log line of the hub or the agent: passwords (users, the
 * agent's MQTT password), tokens (sessions, API, enrollment), SNMP communities and SNMPv3 keys.
 * Neither logs them on purpose; both loggers redact these paths as the net under that rule.
 */
export const SECRET_LOG_PATHS: readonly string[] = [
  'password',
  '*.password',
  'token',
  '*.token',
  'community',
  '*.community',
  'communities',
  '*.communities',
  'authKey',
  '*.authKey',
  'privKey',
  '*.privKey',
  'mqttPassword',
  '*.mqttPassword',
  'previousMqttPassword',
  '*.previousMqttPassword',
];
