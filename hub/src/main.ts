import { ConfigError, loadConfig } from './config.js';
import { ensureDashboardBuilt } from './dashboard-assets.js';
import { ListenError } from './lib/listen-error.js';
import { createLogger } from './logger.js';
import { hubBanner, type RunningHub, startHub } from './server.js';

/** The hub process: config → `startHub` → banner; signals. The only process.exit. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`drm-hub: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  // A dashboard that fails to build must not keep the API down: the error names the cause.
  await ensureDashboardBuilt({ log }).catch((err: unknown) =>
    log.error({ err }, 'the dashboard could not be built'),
  );
  let hub: RunningHub;
  try {
    hub = await startHub(config, log);
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    log.fatal(err.message);
    process.exit(1);
  }
  process.stdout.write(hubBanner(hub, config.DATA_DIR));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    hub.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `drm-hub: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
