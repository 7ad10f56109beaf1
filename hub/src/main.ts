import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createDb } from './db/create-db.js';
import { migrate } from './db/migrate.js';
import { ListenError } from './lib/listen-error.js';
import { createLogger } from './logger.js';
import { ensureDemo } from './seed/demo.js';

/** The hub process: config → database → migrations → app → listen. The only process.exit. */
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
  const db = await createDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
  await migrate(db, { log });
  const app = await buildApp({ config, db, logger: log });

  const demo = await ensureDemo(app.db, app.secrets, {
    password: config.DRM_DEMO_PASSWORD,
    dataDir: config.DATA_DIR,
    log,
  });

  try {
    // The broker binds MQTT_PORT when the app gets ready, before the HTTP port is opened.
    await app.ready();
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const listen =
      err instanceof ListenError
        ? err
        : e.code === 'EADDRINUSE' || e.code === 'EACCES'
          ? new ListenError('PORT', config.PORT, config.HOST, e)
          : null;
    if (!listen) throw err;
    log.fatal(listen.message);
    await app.close().catch(() => undefined);
    await db.close();
    process.exit(1);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const base = `http://localhost:${port}`;
  const lines = [
    '',
    `  DRM hub is up (${db.engine === 'pglite' ? `embedded PostgreSQL in ${config.DATA_DIR}` : 'PostgreSQL'})`,
    `  API                ${base}/api/v1`,
    `  API docs           ${base}/docs  (ReDoc: ${base}/redoc)`,
    `  MQTT for agents    ${app.mqtt.port === null ? 'the external broker of MQTT_URL' : `mqtt://localhost:${app.mqtt.port}`}`,
  ];
  if (demo) {
    lines.push(`  Log in as          ${demo.email}`);
    lines.push(`  Password           ${demo.password ?? '(set by DRM_DEMO_PASSWORD or changed since)'}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

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
    // The database closes last: the broker's shutdown still records agents going offline.
    app
      .close()
      .then(() => db.close())
      .then(
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
