import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { MAX_MESSAGE_BYTES, topicFor } from '@drm/protocol';
import { checkClientId, checkPublish, checkSubscribe, checkWill } from '../../src/mqtt/acl.js';
import { AuthCache, type VerifiedAgent } from '../../src/mqtt/auth-cache.js';

// The broker's rules as pure functions, and the credential cache; no broker, no database.

const me = { tenantId: randomUUID(), agentId: randomUUID() };
const sibling = { tenantId: me.tenantId, agentId: randomUUID() };
const stranger = { tenantId: randomUUID(), agentId: randomUUID() };
const own = (channel: Parameters<typeof topicFor>[2]) => topicFor(me.tenantId, me.agentId, channel);

describe('checkPublish', () => {
  it.each([
    ['status', own('status'), false, 10, { ok: true, channel: 'status' }],
    ['retained status', own('status'), true, 10, { ok: true, channel: 'status' }],
    ['results', own('results'), false, MAX_MESSAGE_BYTES, { ok: true, channel: 'results' }],
    ['config-ack', own('config-ack'), false, 10, { ok: true, channel: 'config-ack' }],
    ['retained results', own('results'), true, 10, { ok: false, reason: 'retain' }],
    ['oversized results', own('results'), false, MAX_MESSAGE_BYTES + 1, { ok: false, reason: 'too-large' }],
    ['own jobs', own('jobs'), false, 10, { ok: false, reason: 'not-agent-channel' }],
    [
      'sibling results',
      topicFor(sibling.tenantId, sibling.agentId, 'results'),
      false,
      10,
      { ok: false, reason: 'foreign-topic' },
    ],
    [
      'stranger status',
      topicFor(stranger.tenantId, stranger.agentId, 'status'),
      false,
      10,
      { ok: false, reason: 'foreign-topic' },
    ],
    [
      'own agent under another tenant',
      topicFor(stranger.tenantId, me.agentId, 'results'),
      false,
      10,
      { ok: false, reason: 'foreign-topic' },
    ],
    [
      'upper-case ids',
      own('results').toUpperCase().replace('DRM/V1', 'drm/v1').replace('RESULTS', 'results'),
      false,
      10,
      { ok: false, reason: 'foreign-topic' },
    ],
    ['an extra level', `${own('results')}/x`, false, 10, { ok: false, reason: 'foreign-topic' }],
    [
      'another version',
      own('results').replace('/v1/', '/v2/'),
      false,
      10,
      { ok: false, reason: 'foreign-topic' },
    ],
    ['$SYS', '$SYS/broker/x', false, 10, { ok: false, reason: 'foreign-topic' }],
  ])('%s', (_what, topic, retain, bytes, verdict) => {
    expect(checkPublish(me, topic, retain, bytes)).toEqual(verdict);
  });
});

describe('checkSubscribe', () => {
  it.each([
    [own('jobs'), true],
    [own('config'), true],
    [own('ack'), true],
    [own('cancel'), true],
    [own('status'), false],
    [own('results'), false],
    [topicFor(sibling.tenantId, sibling.agentId, 'jobs'), false],
    [topicFor(stranger.tenantId, stranger.agentId, 'jobs'), false],
    [`drm/v1/${me.tenantId}/${me.agentId}/#`, false],
    [`drm/v1/${me.tenantId}/${me.agentId}/+`, false],
    [`drm/v1/${me.tenantId}/+/jobs`, false],
    [`drm/v1/+/${me.agentId}/jobs`, false],
    ['drm/#', false],
    ['#', false],
    ['+/+/+/+/+', false],
    ['$share/hub/drm/v1/+/+/results', false],
  ])('%s → %s', (filter, allowed) => {
    expect(checkSubscribe(me, filter)).toBe(allowed);
  });
});

describe('checkWill', () => {
  it.each([
    ['none', undefined, null],
    ['own status', { topic: own('status'), payload: '{}', retain: true }, null],
    [
      'own results',
      { topic: own('results'), payload: '{}' },
      'the last will must be the agent’s own status topic',
    ],
    [
      'sibling status',
      { topic: topicFor(sibling.tenantId, sibling.agentId, 'status'), payload: '{}' },
      'the last will must be the agent’s own status topic',
    ],
    [
      'oversized',
      { topic: own('status'), payload: Buffer.alloc(MAX_MESSAGE_BYTES + 1) },
      'the last will is too large',
    ],
  ])('%s', (_what, will, refusal) => {
    expect(checkWill(me, will)).toBe(refusal);
  });
});

describe('checkClientId', () => {
  it.each([
    [me.agentId, false, true],
    [`${me.agentId}-link`, false, true],
    [sibling.agentId, false, false],
    [`${sibling.agentId}-link`, false, false],
    [`x${me.agentId}`, false, false],
    ['mqttjs_1234', false, false],
    ['aedes_generated', true, true],
  ])('%s (generated: %s) → %s', (clientId, generated, allowed) => {
    expect(checkClientId(me, clientId, generated)).toBe(allowed);
  });
});

describe('AuthCache', () => {
  const agent: VerifiedAgent = { ...me, revoked: false };
  const pw = Buffer.from('secret');

  it('reuses a success within its lifetime and checks again after', async () => {
    let now = 1_000;
    const verify = vi.fn(async () => agent);
    const cache = new AuthCache(verify, { ttlMs: 100, now: () => now });
    expect(await cache.check('u', pw)).toEqual(agent);
    expect(await cache.check('u', pw)).toEqual(agent);
    expect(verify).toHaveBeenCalledTimes(1);
    now += 101;
    await cache.check('u', pw);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('never reuses a failure, and keys on the password too', async () => {
    const verify = vi.fn(async (_u: string, p: Buffer) => (p.toString() === 'secret' ? agent : null));
    const cache = new AuthCache(verify);
    expect(await cache.check('u', Buffer.from('wrong'))).toBeNull();
    expect(await cache.check('u', Buffer.from('wrong'))).toBeNull();
    expect(verify).toHaveBeenCalledTimes(2);
    await cache.check('u', pw);
    expect(await cache.check('u', Buffer.from('wrong'))).toBeNull();
  });

  it('shares one check among concurrent attempts', async () => {
    let release: (a: VerifiedAgent) => void = () => undefined;
    const verify = vi.fn(() => new Promise<VerifiedAgent>((r) => (release = r)));
    const cache = new AuthCache(verify);
    const attempts = Promise.all([cache.check('u', pw), cache.check('u', pw), cache.check('u', pw)]);
    release(agent);
    expect(await attempts).toEqual([agent, agent, agent]);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('does not keep a revoked agent', async () => {
    const verify = vi.fn(async () => ({ ...agent, revoked: true }));
    const cache = new AuthCache(verify);
    expect((await cache.check('u', pw))?.revoked).toBe(true);
    await cache.check('u', pw);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('forgets an agent at once', async () => {
    const verify = vi.fn(async () => agent);
    const cache = new AuthCache(verify);
    await cache.check('u', pw);
    cache.forget(me.tenantId, me.agentId);
    await cache.check('u', pw);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('checks again when the agent was revoked while its check ran', async () => {
    let revoked = false;
    let release: () => void = () => undefined;
    const verify = vi.fn(async () => {
      const answer = { ...agent, revoked };
      if (verify.mock.calls.length === 1) await new Promise<void>((r) => (release = r));
      return answer;
    });
    const cache = new AuthCache(verify);
    const attempt = cache.check('u', pw);
    await Promise.resolve();
    revoked = true;
    cache.forget(me.tenantId, me.agentId);
    release();
    expect((await attempt)?.revoked).toBe(true);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('stays within its bound', async () => {
    const verify = vi.fn(async () => agent);
    const cache = new AuthCache(verify, { maxEntries: 2 });
    for (const p of ['a', 'b', 'c']) await cache.check('u', Buffer.from(p));
    await cache.check('u', Buffer.from('a'));
    expect(verify).toHaveBeenCalledTimes(4);
    await cache.check('u', Buffer.from('c'));
    expect(verify).toHaveBeenCalledTimes(4);
  });
});
