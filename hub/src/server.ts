import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createDb } from './db/create-db.js';
import { migrate } from './db/migrate.js';
import type { Db } from './db/types.js';
import { ListenError } from './lib/listen-error.js';
import { type DemoLogin, ensureDemo } from './seed/demo.js';

/** A hub that is up: the app listening, its database, and what a person needs to reach it. */
export interface RunningHub {
  app: FastifyInstance;
  db: Db;
  /** `http://localhost:PORT`, the port actually bound. */
  url: string;
  /** The embedded broker's port, null with an external broker. */
  mqttPort: number | null;
  /** The demo login when the demo admin exists (see `ensureDemo`); ids are `DEMO_IDS`. */
  demo: DemoLogin | null;
  /** Closes the app (broker included), then the database. */
  close(): Promise<void>;
}

/**
 * Config → database → migrations → demo data → app → listen. Throws `ListenError` naming the
 * variable to change when a port cannot be opened, after releasing what it opened.
 */
export async function startHub(config: Config, log: Logger): Promise<RunningHub> {
  const db = await createDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
  let app: FastifyInstance | undefined;
  try {
    await migrate(db, { log });
    app = await buildApp({ config, db, logger: log });
    const demo = await ensureDemo(app.db, app.secrets, {
      password: config.DRM_DEMO_PASSWORD,
      dataDir: config.DATA_DIR,
      log,
    });
    // The broker binds MQTT_PORT when the app gets ready, before the HTTP port is opened.
    await app.ready();
    await listen(app, config);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const running = app;
    return {
      app,
      db,
      url: `http://localhost:${port}`,
      mqttPort: app.mqtt.port,
      demo,
      // The database closes last: the broker's shutdown still records agents going offline.
      close: async () => {
        await running.close();
        await db.close();
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      throw new ListenError('PORT', config.PORT, config.HOST, e);
    }
    throw err;
  }
}

/** What a person needs to reach the hub, printed once it listens. */
export function hubBanner(hub: RunningHub, dataDir: string): string {
  const base = hub.url;
  const lines = [
    '',
    `  DRM hub is up (${hub.db.engine === 'pglite' ? `embedded PostgreSQL in ${dataDir}` : 'PostgreSQL'})`,
    `  Dashboard          ${base}/`,
    `  API                ${base}/api/v1`,
    `  API docs           ${base}/docs  (ReDoc: ${base}/redoc)`,
    `  MQTT for agents    ${hub.mqttPort === null ? 'the external broker of MQTT_URL' : `mqtt://localhost:${hub.mqttPort}`}`,
  ];
  if (hub.demo) {
    lines.push(`  Log in as          ${hub.demo.email}`);
    lines.push(`  Password           ${hub.demo.password ?? '(set by DRM_DEMO_PASSWORD or changed since)'}`);
  }
  return `${lines.join('\n')}\n\n`;
}
