import pino, { type DestinationStream, type Logger } from 'pino';
import { SECRET_LOG_PATHS } from '@drm/protocol';

/** The agent's JSON logger, with secrets redacted; to stderr for the CLI, stdout otherwise. */
export function createAgentLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { name: 'drm-agent', level, redact: { paths: [...SECRET_LOG_PATHS], censor: '[redacted]' } },
    destination,
  );
}
