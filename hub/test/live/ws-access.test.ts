import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_MAX_CLIENT_FRAME_BYTES } from '@drm/protocol';
import { createTestHub, type TestHub, type TestUser } from '../helpers/hub.js';
import { enrollAgent, metricValue, type TestAgent } from '../helpers/mqtt.js';
import { addDevice, bearer, createJob, LiveTestClient, listen } from './support.js';

/**
 * The WebSocket's door: authentication exactly as the REST API (cookie or bearer, never the
 * URL), the origin check for cookies, and subscriptions refused alike for what one may not see
 * and what does not exist.
 */

let hub: TestHub;
let wsUrl: string;
let httpUrl: string;
let a: TestAgent;
let b: TestAgent;
let jobA: string;
let deviceA: string;
let viewerA: TestUser;
const clients: LiveTestClient[] = [];

async function connect(headers: Record<string, string>): Promise<LiveTestClient> {
  const c = await LiveTestClient.connect(wsUrl, headers);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  hub = await createTestHub();
  a = await enrollAgent(hub);
  b = await enrollAgent(hub);
  deviceA = await addDevice(hub, a);
  jobA = await createJob(hub, a, [deviceA]);
  viewerA = await hub.user({ [a.tenantId]: 'viewer' });
  ({ ws: wsUrl, http: httpUrl } = await listen(hub));
}, 240_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await hub?.close();
});

describe('authentication of the upgrade', () => {
  it('refuses an upgrade without a token with 401, before upgrading', async () => {
    expect(await LiveTestClient.refusal(wsUrl)).toBe(401);
    expect(await LiveTestClient.refusal(wsUrl, bearer('not-a-real-token'))).toBe(401);
  });

  it('never takes a token from the URL', async () => {
    expect(await LiveTestClient.refusal(`${wsUrl}?token=${a.admin.token}`)).toBe(401);
    expect(await LiveTestClient.refusal(`${wsUrl}?access_token=${a.admin.token}`)).toBe(401);
  });

  it('accepts the bearer header and sends hello first', async () => {
    const c = await connect(bearer(a.admin.token));
    const hello = await c.waitFor('hello');
    expect(c.frames[0]).toBe(hello);
    expect(hello.heartbeatSeconds).toBeGreaterThanOrEqual(1);
  });

  it('accepts the session cookie', async () => {
    const c = await connect({ cookie: `drm_session=${viewerA.token}` });
    await c.waitFor('hello');
    const answer = await c.subscribe({ kind: 'job', tenantId: a.tenantId, jobId: jobA });
    expect(answer.type).toBe('subscribed');
  });

  it("refuses a cookie upgrade from another site's page (403), not one from the hub's own origin", async () => {
    const host = new URL(httpUrl).host;
    const cookie = `drm_session=${viewerA.token}`;
    expect(await LiveTestClient.refusal(wsUrl, { cookie, origin: 'https://evil.example' })).toBe(403);
    const c = await connect({ cookie, origin: `http://${host}` });
    await c.waitFor('hello');
  });

  it('answers a plain GET with 426 and the error body', async () => {
    const res = await hub.call(a.admin.token, 'GET', '/api/v1/live');
    expect(res.statusCode).toBe(426);
    expect(res.json().error.code).toBe('UPGRADE_REQUIRED');
  });
});

describe('subscriptions', () => {
  it('subscribes to a job with its snapshot, and unsubscribes', async () => {
    const c = await connect(bearer(a.admin.token));
    const topic = { kind: 'job', tenantId: a.tenantId, jobId: jobA };
    const answer = await c.subscribe(topic, 'one');
    expect(answer).toMatchObject({ type: 'subscribed', ref: 'one', topic });
    const snapshot = (answer as { snapshot: { jobId: string; targets: unknown[]; progress: unknown } })
      .snapshot;
    expect(snapshot.jobId).toBe(jobA);
    expect(snapshot.targets).toEqual([expect.objectContaining({ deviceId: deviceA })]);
    expect(snapshot.progress).toEqual({ done: 0, total: 1 });
    c.send({ type: 'unsubscribe', ref: 'two', topic });
    await c.waitFor('unsubscribed', (f) => f.ref === 'two');
  });

  it('gives the agents topic a list of every agent', async () => {
    const c = await connect(bearer(a.admin.token));
    const answer = await c.subscribe({ kind: 'agents', tenantId: a.tenantId });
    expect(answer).toMatchObject({
      type: 'subscribed',
      snapshot: [expect.objectContaining({ agentId: a.agentId })],
    });
  });

  it('accepts device and tenant topics of a visible tenant', async () => {
    const c = await connect(bearer(viewerA.token));
    expect((await c.subscribe({ kind: 'device', tenantId: a.tenantId, deviceId: deviceA })).type).toBe(
      'subscribed',
    );
    expect((await c.subscribe({ kind: 'tenant', tenantId: a.tenantId })).type).toBe('subscribed');
  });

  it.each([
    ['another tenant', () => ({ kind: 'tenant', tenantId: a.tenantId })],
    ["another tenant's job", () => ({ kind: 'job', tenantId: a.tenantId, jobId: jobA })],
    ["another tenant's agents", () => ({ kind: 'agents', tenantId: a.tenantId })],
    ["another tenant's device", () => ({ kind: 'device', tenantId: a.tenantId, deviceId: deviceA })],
    [
      "its own tenant with another tenant's job id",
      () => ({ kind: 'job', tenantId: b.tenantId, jobId: jobA }),
    ],
    [
      "its own tenant with another tenant's device id",
      () => ({ kind: 'device', tenantId: b.tenantId, deviceId: deviceA }),
    ],
    ['a job that does not exist', () => ({ kind: 'job', tenantId: b.tenantId, jobId: randomUUID() })],
    ['a tenant that does not exist', () => ({ kind: 'tenant', tenantId: randomUUID() })],
  ])('answers not_found for %s, the same as for nothing', async (_what, topic) => {
    const c = await connect(bearer(b.admin.token));
    const asked = topic();
    const answer = await c.subscribe(asked);
    expect(answer).toMatchObject({
      type: 'error',
      code: 'not_found',
      message: 'No such topic',
      topic: asked,
    });
  });
});

describe('bad frames', () => {
  it('answers frames that are not JSON or not a known frame with bad_frame, and counts them', async () => {
    const before = await metricValue(hub, 'drm_hub_live_bad_frames_total', { reason: 'schema' });
    const c = await connect(bearer(a.admin.token));
    await c.waitFor('hello');
    c.send('{not json');
    c.send({ type: 'subscribe', topic: { kind: 'job', tenantId: 'x' } });
    c.send({ type: 'launch' });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await expect.poll(() => c.of('error').filter((f) => f.code === 'bad_frame').length).toBe(4);
    expect(await metricValue(hub, 'drm_hub_live_bad_frames_total', { reason: 'schema' })).toBe(before + 2);
    // Still open and answering.
    c.send({ type: 'ping', ref: 'p' });
    await c.waitFor('pong', (f) => f.ref === 'p');
  });

  it('closes with 1009 on a frame above the limit', async () => {
    const c = await connect(bearer(a.admin.token));
    await c.waitFor('hello');
    c.send({ type: 'ping', ref: 'x', pad: 'y'.repeat(LIVE_MAX_CLIENT_FRAME_BYTES) });
    expect((await c.closed).code).toBe(1009);
  });

  it('answers every one of a burst of subscriptions, refusing those past the in-flight bound with busy', async () => {
    const c = await connect(bearer(b.admin.token));
    await c.waitFor('hello');
    const topic = { kind: 'tenant', tenantId: b.tenantId };
    for (let i = 0; i < 100; i++) c.send({ type: 'subscribe', ref: `${i}`, topic });
    await expect.poll(() => c.frames.filter((f) => 'ref' in f).length, { timeout: 10_000 }).toBe(100);
    const busy = c.of('error').filter((e) => e.code === 'busy').length;
    expect(busy).toBeGreaterThan(0);
    expect(c.of('subscribed').length + busy).toBe(100);
  });
});
