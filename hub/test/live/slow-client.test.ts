import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { enrollAgent, metricValue } from '../helpers/mqtt.js';
import type { LivePluginOptions } from '../../src/plugins/live.js';
import { addDevice, bearer, createJob, eventually, LiveTestClient, listen, progress } from './support.js';

/**
 * A client that stops reading gets bounded memory on the hub: past the high-water mark its
 * progress frames coalesce per target (the latest wins), and a client that stays stuck is
 * dropped. A client that stops answering pings is cut by the heartbeat; one whose session
 * ends is closed with 1008.
 */

const HIGH_WATER = 16 * 1024;
const MAX_PENDING = 256 * 1024;
const TARGETS = 10;

let hub: TestHub | undefined;
const clients: LiveTestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await hub?.close();
  hub = undefined;
});

async function setup(live: LivePluginOptions) {
  hub = await createTestHub({}, { live });
  const agent = await enrollAgent(hub);
  const deviceId = await addDevice(hub, agent);
  const jobId = await createJob(hub, agent, [deviceId]);
  const { ws } = await listen(hub);
  const c = await LiveTestClient.connect(ws, bearer(agent.admin.token));
  clients.push(c);
  expect((await c.subscribe({ kind: 'job', tenantId: agent.tenantId, jobId })).type).toBe('subscribed');
  return { hub, agent, jobId, ws, c };
}

const socketOf = (c: LiveTestClient) => (c.ws as unknown as { _socket: Socket })._socket;
const tick = () => new Promise((r) => setImmediate(r));

describe('a client that stops reading', () => {
  it('gets the latest progress per target, with the hub buffering a bounded amount', async () => {
    const { hub, agent, jobId, c } = await setup({
      heartbeatMs: 60_000,
      limits: { highWaterBytes: HIGH_WATER, maxPendingBytes: MAX_PENDING, stuckMs: 60_000 },
    });
    const targets = Array.from({ length: TARGETS }, () => randomUUID());
    const [conn] = hub.app.live.sockets.connections();
    socketOf(c).pause();
    let sent = 0;
    let maxBuffered = 0;
    let maxPendingFrames = 0;
    // Flood until the kernel's buffers are full, then on for a while with frames waiting.
    let congestedAt: number | null = null;
    for (let round = 0; round < 50_000; round++) {
      for (const deviceId of targets)
        hub.app.live.hub.progress(agent.tenantId, progress(jobId, deviceId, round));
      sent += TARGETS;
      maxBuffered = Math.max(maxBuffered, conn!.ws.bufferedAmount);
      maxPendingFrames = Math.max(maxPendingFrames, conn!.sender.pending.frames);
      if (conn!.sender.pending.frames > 0) congestedAt ??= round;
      if (congestedAt !== null && round - congestedAt > 500) break;
      if (round % 50 === 0) await tick();
    }
    expect(congestedAt).not.toBeNull();
    const lastRound = sent / TARGETS - 1;
    const coalesced = await metricValue(hub, 'drm_hub_live_frames_coalesced_total', { transport: 'ws' });
    expect(coalesced).toBeGreaterThan(0);
    // Waiting frames: at most one per target; written but unsent bytes: below the mark plus a frame.
    expect(maxPendingFrames).toBeLessThanOrEqual(TARGETS);
    expect(maxBuffered).toBeLessThan(HIGH_WATER + 1024);
    expect(conn!.sender.pending.bytes).toBeLessThanOrEqual(MAX_PENDING);

    socketOf(c).resume();
    await eventually(
      () =>
        targets.every((d) =>
          c
            .of('job.progress')
            .some((f) => f.progress.deviceId === d && f.progress.counts.varbinds === lastRound),
        ),
      'the latest progress of every target',
      20_000,
    );
    expect(c.of('job.progress').length).toBeLessThan(sent);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  }, 300_000);

  it('is dropped (1013) when it stays stuck, and counted', async () => {
    const { hub, agent, jobId, c } = await setup({
      heartbeatMs: 60_000,
      limits: { highWaterBytes: HIGH_WATER, maxPendingBytes: MAX_PENDING, stuckMs: 300 },
    });
    socketOf(c).pause();
    for (let round = 0; round < 200_000 && hub.app.live.sockets.size > 0; round++) {
      hub.app.live.hub.progress(agent.tenantId, progress(jobId, randomUUID(), round));
      if (round % 200 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(hub.app.live.sockets.size).toBe(0);
    const dropped =
      (await metricValue(hub, 'drm_hub_live_clients_dropped_total', { reason: 'stuck' })) +
      (await metricValue(hub, 'drm_hub_live_clients_dropped_total', { reason: 'overflow' }));
    expect(dropped).toBe(1);
    socketOf(c).resume();
    const { code } = await c.closed;
    expect([1013, 1006]).toContain(code);
  }, 300_000);
});

describe('heartbeat and session', () => {
  it('cuts a client that does not answer pings and keeps one that does', async () => {
    const { hub, agent, ws, c: answering } = await setup({ heartbeatMs: 150 });
    const silent = new WebSocket(ws, { headers: bearer(agent.admin.token), autoPong: false });
    await new Promise((resolve, reject) => silent.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006);
    expect(await metricValue(hub, 'drm_hub_live_clients_dropped_total', { reason: 'heartbeat' })).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(answering.ws.readyState).toBe(WebSocket.OPEN);
    expect(hub.app.live.sockets.size).toBe(1);
  }, 300_000);

  it('closes a connection with 1008 once its session was logged out', async () => {
    const { hub, agent, ws } = await setup({ heartbeatMs: 100, sessionCheckMs: 150 });
    const user = await hub.user({ [agent.tenantId]: 'viewer' });
    const c = await LiveTestClient.connect(ws, bearer(user.token));
    clients.push(c);
    await c.waitFor('hello');
    expect((await hub.call(user.token, 'POST', '/api/v1/auth/logout')).statusCode).toBe(204);
    expect((await c.closed).code).toBe(1008);
  }, 300_000);

  it('ends topics of a tenant the user lost their role in', async () => {
    const { hub, agent, jobId, ws } = await setup({ heartbeatMs: 100, sessionCheckMs: 150 });
    const user = await hub.user({ [agent.tenantId]: 'viewer' });
    const c = await LiveTestClient.connect(ws, bearer(user.token));
    clients.push(c);
    const topic = { kind: 'job', tenantId: agent.tenantId, jobId };
    expect((await c.subscribe(topic)).type).toBe('subscribed');
    await hub.db.asOwner((q) => q.query('DELETE FROM memberships WHERE user_id = $1', [user.id]));
    const err = await c.waitFor('error', (f) => f.code === 'not_found');
    expect(err.topic).toEqual(topic);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  }, 300_000);
});
