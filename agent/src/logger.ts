import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Where a secret could show up in a log line: the agent's MQTT password, SNMP communities and
 * SNMPv3 keys (desired state, trap authorization), enrollment tokens. The code never logs them
 * on purpose; this is the net under it.
 */
export const REDACTED_PATHS = [
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
];

/** The agent's JSON logger, with secrets redacted; to stderr for the CLI, stdout otherwise. */
export function createAgentLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { name: 'drm-agent', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}
