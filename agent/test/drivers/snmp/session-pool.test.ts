import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SnmpAccess } from '@drm/protocol';
import { SessionPool } from '../../../src/drivers/snmp/session-pool.js';

const v2c: SnmpAccess = { version: '2c', port: 16100, community: 'public' };
const v3: SnmpAccess = {
  version: '3',
  port: 16100,
  username: 'monitor',
  securityLevel: 'authPriv',
  authProtocol: 'sha',
  authKey: 'auth-pass-1',
  privProtocol: 'aes',
  privKey: 'priv-pass-1',
};
const timing = { timeoutMs: 500, retries: 1 };
const host = '127.0.0.1';

describe('SessionPool', () => {
  let pool: SessionPool;
  afterEach(() => {
    pool?.close();
    vi.useRealTimers();
  });

  it('reuses the session for the same target, credentials and timing', () => {
    pool = new SessionPool();
    const a = pool.acquire({ host, access: v3 }, timing);
    const b = pool.acquire({ host, access: { ...v3 } }, { ...timing });
    expect(b.session).toBe(a.session);
    a.release();
    b.release();
    const c = pool.acquire({ host, access: v3 }, timing);
    expect(c.session).toBe(a.session);
    expect(pool.size).toBe(1);
  });

  it.each([
    ['another host', { host: '127.0.0.2', access: v3 }, timing],
    ['another port', { host, access: { ...v3, port: 16101 } }, timing],
    ['another key', { host, access: { ...v3, privKey: 'priv-pass-2' } }, timing],
    ['another user', { host, access: { ...v3, username: 'other' } }, timing],
    ['another timeout', { host, access: v3 }, { ...timing, timeoutMs: 900 }],
    ['another version', { host, access: v2c }, timing],
  ])('opens a separate session for %s', (_name, target, otherTiming) => {
    pool = new SessionPool();
    const a = pool.acquire({ host, access: v3 }, timing);
    const b = pool.acquire(target, otherTiming);
    expect(b.session).not.toBe(a.session);
    expect(pool.size).toBe(2);
  });

  it('closes a session once it has been idle for idleMs, not while leased', () => {
    vi.useFakeTimers();
    pool = new SessionPool({ idleMs: 1000 });
    const lease = pool.acquire({ host, access: v2c }, timing);
    vi.advanceTimersByTime(5000);
    expect(lease.session.closed).toBe(false);
    lease.release();
    vi.advanceTimersByTime(999);
    expect(lease.session.closed).toBe(false);
    const again = pool.acquire({ host, access: v2c }, timing);
    expect(again.session).toBe(lease.session);
    again.release();
    vi.advanceTimersByTime(1000);
    expect(lease.session.closed).toBe(true);
    expect(pool.size).toBe(0);
    const fresh = pool.acquire({ host, access: v2c }, timing);
    expect(fresh.session).not.toBe(lease.session);
  });

  it('drops a discarded session, closing it when its last lease is released', () => {
    pool = new SessionPool();
    const a = pool.acquire({ host, access: v2c }, timing);
    const b = pool.acquire({ host, access: v2c }, timing);
    a.release({ discard: true });
    expect(pool.size).toBe(0);
    expect(a.session.closed).toBe(false);
    b.release();
    expect(a.session.closed).toBe(true);
  });

  it('closes the least recently used idle sessions above maxSessions', () => {
    pool = new SessionPool({ maxSessions: 2 });
    const first = pool.acquire({ host, access: { ...v2c, community: 'a' } }, timing);
    first.release();
    const busy = pool.acquire({ host, access: { ...v2c, community: 'b' } }, timing);
    const third = pool.acquire({ host, access: { ...v2c, community: 'c' } }, timing);
    expect(first.session.closed).toBe(true);
    expect(busy.session.closed).toBe(false);
    expect(third.session.closed).toBe(false);
    expect(pool.size).toBe(2);
  });

  it('closes every session on close() and refuses new leases', () => {
    pool = new SessionPool();
    const a = pool.acquire({ host, access: v2c }, timing);
    const b = pool.acquire({ host, access: v3 }, timing);
    b.release();
    pool.close();
    expect(a.session.closed).toBe(true);
    expect(b.session.closed).toBe(true);
    expect(() => pool.acquire({ host, access: v2c }, timing)).toThrow(/closed/);
  });

  it('releases the lease of use() even when the work fails', async () => {
    vi.useFakeTimers();
    pool = new SessionPool({ idleMs: 10 });
    let seen: unknown;
    await expect(
      pool.use({ host, access: v2c }, timing, async (session) => {
        seen = session;
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    vi.advanceTimersByTime(10);
    expect((seen as { closed: boolean }).closed).toBe(true);
  });
});
