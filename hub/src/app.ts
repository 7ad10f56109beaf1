import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { type Config, DEFAULT_MQTT_PORT } from './config.js';
import { createDb } from './db/create-db.js';
import type { Db } from './db/types.js';
import { createLogger } from './logger.js';
import { features, tenantFeatures } from './modules/index.js';
import { registerTenantScope } from './modules/tenancy/scope.js';
import { agentLinkPlugin } from './plugins/agent-link.js';
import { authPlugin } from './plugins/auth.js';
import { type BrokerPluginOptions, brokerPlugin } from './plugins/broker.js';
import { dashboardPlugin } from './plugins/dashboard.js';
import { dbPlugin } from './plugins/db.js';
import { docsPlugin } from './plugins/docs.js';
import { installErrorHandler } from './plugins/error-handler.js';
import { type LivePluginOptions, livePlugin } from './plugins/live.js';
import { maintenancePlugin } from './plugins/maintenance.js';
import { metricsPlugin } from './plugins/metrics.js';
import type { SecretBox } from './security/secret-box.js';
import { loadSecretBox } from './security/hub-key.js';
import { HUB_VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    /** Encrypts and decrypts device credentials at rest. */
    secrets: SecretBox;
    /** Every route registered, as `METHOD /url`; tests check coverage against it. */
    routeList: string[];
  }
}

export interface AppDeps {
  config: Config;
  /** An open database; when absent the app opens one from the config and closes it on close. */
  db?: Db;
  logger?: Logger;
  secrets?: SecretBox;
  /** Broker options over those from the config (TLS listener, an external broker's login). */
  broker?: BrokerPluginOptions;
  /**
   * Ingestion, dispatch and config sync over MQTT (default true). Tests of the broker layer
   * alone turn it off to register their own channel handlers.
   */
  agentLink?: boolean;
  /** Live stream settings (heartbeat, slow-client bounds); defaults suit production. */
  live?: LivePluginOptions;
}

/** Builds the hub's Fastify app without listening: tests `inject()`, main.ts listens. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const log = deps.logger ?? createLogger(config.LOG_LEVEL);
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    // One line per request only when debugging; errors are logged by the error handler.
    logController: new LogController({
      disableRequestLogging: config.LOG_LEVEL !== 'debug' && config.LOG_LEVEL !== 'trace',
    }),
    routerOptions: { ignoreTrailingSlash: true },
  });
  const routeList: string[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routeList.push(`${method} ${route.url}`);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  const db = deps.db ?? (await createDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, log }));
  const secrets =
    deps.secrets ??
    (await loadSecretBox({ secretKey: config.HUB_SECRET_KEY, dataDir: config.DATA_DIR, log }));
  app.decorate('config', config);
  app.decorate('secrets', secrets);
  app.decorate('readyChecks', new Map<string, () => Promise<void>>());
  await app.register(dbPlugin, { db, owned: !deps.db });
  app.readyChecks.set('database', () => db.ping());

  await app.register(cookie);
  if (config.CORS_ORIGINS.length > 0) {
    await app.register(cors, {
      origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS,
      credentials: !config.CORS_ORIGINS.includes('*'),
    });
  }
  await app.register(metricsPlugin);
  await app.register(maintenancePlugin);
  await app.register(brokerPlugin, {
    host: config.HOST,
    port: config.MQTT_PORT ?? DEFAULT_MQTT_PORT,
    portFallback: config.MQTT_PORT === undefined,
    url: config.MQTT_URL,
    agentAuth: config.MQTT_AGENT_AUTH,
    ...deps.broker,
  });
  // Before the agent link, which feeds it; its routes come with the features, after auth.
  await app.register(livePlugin, deps.live ?? {});
  if (deps.agentLink !== false) await app.register(agentLinkPlugin);
  await app.register(docsPlugin, { version: HUB_VERSION });
  await app.register(dashboardPlugin);
  await app.register(authPlugin);

  for (const feature of features) await app.register(feature);
  registerTenantScope(app, tenantFeatures);
  return app;
}
