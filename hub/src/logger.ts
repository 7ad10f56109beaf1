import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

const require = createRequire(import.meta.url);

/**
 * JSON logs; human-readable only when stdout is a terminal (and pino-pretty is installed).
 * Secrets never reach a log line: the redaction list covers the places they could appear.
 */
export function createLogger(level: string, name = 'hub'): Logger {
  let transport: pino.TransportSingleOptions | undefined;
  if (process.stdout.isTTY) {
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
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'password',
        '*.password',
        'token',
        '*.token',
        'community',
        '*.community',
        'authKey',
        '*.authKey',
        'privKey',
        '*.privKey',
      ],
      censor: '[redacted]',
    },
    ...(transport && { transport }),
  });
}
