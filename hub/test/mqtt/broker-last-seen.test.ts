import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/types.js';
import { Presence } from '../../src/mqtt/presence.js';

// Presence's bookkeeping without a database: the SQL is exercised over MQTT in
// broker-presence.test.ts; here a recording stand-in for `withTenant` counts and orders writes.

function recordingDb(delayOf: (sql: string) => number = () => 0) {
  const calls: { tenantId: string; sql: string; params: unknown[] }[] = [];
  const db = {
    async withTenant<T>(ctx: string | { tenantId: string }, fn: (q: Queryable) => Promise<T>): Promise<T> {
      const tenantId = typeof ctx === 'string' ? ctx : ctx.tenantId;
      const q: Queryable = {
        async query<R>(sql: string, params: readonly unknown[] = []) {
          const delay = delayOf(sql);
          if (delay) await new Promise((r) => setTimeout(r, delay));
          calls.push({ tenantId, sql, params: [...params] });
          const rows = sql.startsWith('SELECT state') ? [{ state: 'online' }] : [];
          return { rows: rows as R[], rowCount: rows.length };
        },
      };
      return fn(q);
    },
  };
  return { db, calls };
}

const log = pino({ level: 'silent' });
const who = { tenantId: randomUUID(), agentId: randomUUID() };

describe('last seen', () => {
  it('writes at most once per interval per agent, and never for status', async () => {
    const { db, calls } = recordingDb();
    const presence = new Presence({ db, log, touchIntervalMs: 5_000 });
    const t0 = Date.parse('2030-01-01T00:00:00Z');
    for (let i = 0; i < 10; i++) presence.seen(who, 'results', new Date(t0 + i * 400));
    presence.seen(who, 'status', new Date(t0 + 4_000));
    await presence.idle();
    expect(calls).toHaveLength(1);
    presence.seen(who, 'progress', new Date(t0 + 5_000));
    const other = { tenantId: who.tenantId, agentId: randomUUID() };
    presence.seen(other, 'progress', new Date(t0 + 5_001));
    await presence.idle();
    expect(calls.map((c) => c.params[0])).toEqual([who.agentId, who.agentId, other.agentId]);
    expect(calls.every((c) => c.tenantId === who.tenantId)).toBe(true);
  });

  it('applies one agent’s presence changes in the order they came, even when a write is slow', async () => {
    // The first change (a dropped connection) is the slowest to write.
    const { db, calls } = recordingDb((sql) => (sql.includes("CASE WHEN state = 'online'") ? 80 : 5));
    const presence = new Presence({ db, log });
    const ctx = { ...who, receivedAt: new Date(), log };
    const status = (state: 'online' | 'offline') => ({
      v: 1 as const,
      id: randomUUID(),
      type: 'agent.status' as const,
      ts: new Date().toISOString(),
      body: {
        agentId: who.agentId,
        state,
        version: '1',
        startedAt: new Date().toISOString(),
        configRevision: 0,
      },
    });
    await Promise.all([
      presence.disconnected(who, new Date()),
      presence.onStatus(status('online'), ctx),
      presence.onStatus(status('offline'), ctx),
    ]);
    const updates = calls.filter((c) => c.sql.trimStart().startsWith('UPDATE agents SET state'));
    const what = updates.map((c) => (typeof c.params[1] === 'string' ? c.params[1] : 'connection ended'));
    expect(what).toEqual(['connection ended', 'online', 'offline']);
  });
});
