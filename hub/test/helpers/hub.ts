import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import type { BrokerPluginOptions } from '../../src/plugins/broker.js';
import type { LivePluginOptions } from '../../src/plugins/live.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/types.js';
import { hashPassword } from '../../src/security/passwords.js';
import { SecretBox } from '../../src/security/secret-box.js';
import { createTestDb } from './test-db.js';

export type Role = 'admin' | 'operator' | 'viewer';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface TestHub {
  app: FastifyInstance;
  db: Db;
  /** Creates a tenant directly in the database. */
  tenant(name: string, opts?: { kind?: 'msp' | 'customer'; parentId?: string }): Promise<string>;
  /** Creates a user with roles in tenants and logs them in through the API. */
  user(roles: Record<string, Role>, opts?: { email?: string; password?: string }): Promise<TestUser>;
  /** One API call as `token` (or anonymously with null); JSON in, parsed response out. */
  call(token: string | null, method: Method, url: string, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

// Cheap password hashes would be nicer for speed, but tests must exercise the real scheme.
const passwordHashes = new Map<string, string>();
async function cachedHash(password: string): Promise<string> {
  let h = passwordHashes.get(password);
  if (!h) {
    h = await hashPassword(password);
    passwordHashes.set(password, h);
  }
  return h;
}

/** A hub app on a fresh migrated database (PGlite, or the real server when TEST_DATABASE_URL is set). */
export interface TestHubOptions {
  /** Wire MQTT ingestion, dispatch and config sync (default true, as in production). */
  agentLink?: boolean;
  /** Broker options over the test defaults (127.0.0.1, a free port). */
  broker?: BrokerPluginOptions;
  /** Runs after the app is built and before it is ready (handlers, decorators). */
  beforeReady?: (app: FastifyInstance) => void | Promise<void>;
  /** Live stream settings (short heartbeats, small slow-client bounds). */
  live?: LivePluginOptions;
}

export async function createTestHub(
  env: Record<string, string> = {},
  opts: TestHubOptions = {},
): Promise<TestHub> {
  const { db, cleanup } = await createTestDb();
  // Port 0 and loopback: every test file gets its own embedded broker on a free port.
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: '/nonexistent-test-data',
    MQTT_PORT: '0',
    HOST: '127.0.0.1',
    ...env,
  });
  let app: FastifyInstance;
  try {
    app = await buildApp({
      config,
      db,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      secrets: new SecretBox(randomBytes(32), 'test'),
      ...(opts.agentLink === false && { agentLink: false }),
      ...(opts.broker && { broker: opts.broker }),
      ...(opts.live && { live: opts.live }),
    });
    await opts.beforeReady?.(app);
    await app.ready();
  } catch (err) {
    // A hub that failed to start (a test of start-up errors) leaves no database behind.
    await cleanup();
    throw err;
  }

  const call: TestHub['call'] = (token, method, url, body) =>
    app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body !== undefined && { payload: body as object }),
    });

  return {
    app,
    db,
    call,
    async tenant(name, opts = {}) {
      const id = randomUUID();
      await db.asOwner((q) =>
        q.query('INSERT INTO tenants (id, name, kind, parent_id) VALUES ($1, $2, $3, $4)', [
          id,
          name,
          opts.kind ?? (opts.parentId ? 'customer' : 'msp'),
          opts.parentId ?? null,
        ]),
      );
      return id;
    },
    async user(roles, opts = {}) {
      const email = opts.email ?? `u-${randomUUID().slice(0, 8)}@example.test`;
      const password = opts.password ?? 'correct horse battery staple';
      const id = randomUUID();
      const hash = await cachedHash(password);
      await db.asOwner(async (q) => {
        await q.query('INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)', [
          id,
          email,
          email.split('@')[0],
          hash,
        ]);
        for (const [tenantId, role] of Object.entries(roles)) {
          await q.query('INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)', [
            tenantId,
            id,
            role,
          ]);
        }
      });
      const res = await call(null, 'POST', '/api/v1/auth/login', { email, password });
      if (res.statusCode !== 200)
        throw new Error(`login failed in test setup: ${res.statusCode} ${res.body}`);
      return { id, email, password, token: (res.json() as { token: string }).token };
    },
    async close() {
      await app.close();
      await cleanup();
    },
  };
}
