import fp from 'fastify-plugin';
import type { Db } from '../db/types.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

/** Exposes the database as `app.db`; closes it with the app when the app owns it. */
export const dbPlugin = fp<{ db: Db; owned: boolean }>(
  async (app, opts) => {
    app.decorate('db', opts.db);
    if (opts.owned) app.addHook('onClose', async () => opts.db.close());
  },
  { name: 'drm-db' },
);
