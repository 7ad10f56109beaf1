import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import { SECRET_LOG_PATHS } from '@drm/protocol';

const require = createRequire(import.meta.url);

/**
 * JSON logs; human-readable only when stdout is a terminal (and pino-pretty is installed).
 * Secrets never reach a log line: the redaction list covers the places they could appear.
 * `destination` (tests) replaces stdout.
 */
export function createLogger(level: string, name = 'hub', destination?: DestinationStream): Logger {
  let transport: pino.TransportSingleOptions | undefined;
  if (!destination && process.stdout.isTTY) {
    try {
      require.resolve('pino-pretty');
      transport = {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      };
    } catch {
      transport = undefined;
    }
  }
  return pino(
    {
      name,
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', ...SECRET_LOG_PATHS],
        censor: '[redacted]',
      },
      ...(transport && { transport }),
    },
    destination,
  );
}
