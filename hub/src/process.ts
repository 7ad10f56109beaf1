import type { Logger } from 'pino';
import { type Config, ConfigError, loadConfig } from './config.js';
import { ensureDashboardBuilt } from './dashboard-assets.js';
import { FolderLockedError } from './db/folder-lock.js';
import { ListenError } from './lib/listen-error.js';
import { createLogger } from './logger.js';
import { type RunningHub, startHub } from './server.js';

/*
 * What a process that runs a hub does around `startHub`, shared by `drm-hub` and `npm start`:
 * the exits with their codes (2: bad configuration, 1: a port cannot be opened or start-up
 * failed) and the shutdown on SIGINT/SIGTERM. Only entry points call these.
 */

export interface BootedHub {
  config: Config;
  log: Logger;
  hub: RunningHub;
}

/** Config (exit 2 naming the variable), dashboard build if stale, `startHub` (exit 1 on a port). */
export async function bootHub(prog: string): Promise<BootedHub> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${prog}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  // A dashboard that fails to build must not keep the API down: the error names the cause.
  await ensureDashboardBuilt({ log }).catch((err: unknown) =>
    log.error({ err }, 'the dashboard could not be built'),
  );
  try {
    return { config, log, hub: await startHub(config, log) };
  } catch (err) {
    // Causes the message says all about: no stack trace.
    if (!(err instanceof ListenError || err instanceof FolderLockedError)) throw err;
    log.fatal(err.message);
    process.exit(1);
  }
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits 0 (1 when it fails or outlasts `graceMs`). */
export function stopOnSignals(log: Logger, stop: () => Promise<void>, graceMs: number): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error(`shutdown took longer than ${graceMs / 1000} s; exiting`);
      process.exit(1);
    }, graceMs);
    force.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

/** The last resort of an entry point's `main().catch`. */
export function exitOnStartFailure(prog: string): (err: unknown) => never {
  return (err) => {
    process.stderr.write(
      `${prog}: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  };
}
