import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveJobState, uuidv7 } from '@drm/protocol';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { enrollAgent, type TestAgent } from '../helpers/mqtt.js';
import {
  addDevice,
  agentOnline,
  bearer,
  createJob,
  eventually,
  listen,
  openSse,
  progress,
  publish,
} from './support.js';

/**
 * Server-sent events of one job, at the tenant-scoped path and at the earlier platform's
 * alias: authenticated like the API, a snapshot first, progress and updates, `end` when the
 * job finishes, keep-alive comments and a `retry:` field.
 */

let hub: TestHub;
let base: string;
let agent: TestAgent;
let other: TestAgent;
let deviceId: string;
let mqttClient: MqttClient;

beforeAll(async () => {
  hub = await createTestHub({}, { live: { sseKeepAliveMs: 200, sseRetryMs: 1500 } });
  agent = await enrollAgent(hub);
  other = await enrollAgent(hub);
  deviceId = await addDevice(hub, agent);
  ({ http: base } = await listen(hub));
  mqttClient = await agentOnline(`mqtt://127.0.0.1:${hub.app.mqtt.port}`, agent);
}, 240_000);

afterAll(async () => {
  mqttClient?.end(true);
  await hub?.close();
});

async function finish(jobId: string): Promise<void> {
  const now = new Date().toISOString();
  await publish(mqttClient, agent, 'results', {
    items: [
      {
        kind: 'result',
        id: uuidv7(),
        jobId,
        deviceId,
        status: 'succeeded',
        startedAt: now,
        finishedAt: now,
        varbinds: [],
      },
    ],
  });
}

describe('GET …/tenants/{tenantId}/jobs/{id}/events', () => {
  it('streams the snapshot, progress, the update and end, then closes', async () => {
    const jobId = await createJob(hub, agent, [deviceId]);
    const sse = await openSse(base, `${agent.base}/jobs/${jobId}/events`, bearer(agent.admin.token));
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    await eventually(() => sse.events().length > 0, 'snapshot');
    expect(sse.text().startsWith('retry: 1500\n\n')).toBe(true);
    const [first] = sse.events();
    expect(first?.event).toBe('snapshot');
    const snapshot = first?.data as LiveJobState;
    expect(snapshot).toMatchObject({ jobId, tenantId: agent.tenantId, progress: { done: 0, total: 1 } });
    expect(snapshot.targets).toEqual([expect.objectContaining({ deviceId })]);

    await publish(mqttClient, agent, 'progress', progress(jobId, deviceId, 0, 'started'));
    await publish(mqttClient, agent, 'progress', progress(jobId, deviceId, 12));
    await eventually(
      () =>
        sse
          .events()
          .find((e) => e.event === 'job.progress' && JSON.stringify(e.data).includes('"varbinds":12')),
      'progress event',
    );
    await finish(jobId);
    await sse.ended;
    const events = sse.events();
    const last = events.at(-1);
    expect(last).toEqual({ event: 'end', data: { jobId, status: 'succeeded' } });
    const update = events.at(-2)?.data as { type: string; job: LiveJobState };
    expect(update).toMatchObject({
      type: 'job.updated',
      job: { status: 'succeeded', progress: { done: 1, total: 1 } },
    });
  });

  it('sends keep-alive comments while the job runs', async () => {
    const jobId = await createJob(hub, agent, [deviceId]);
    const sse = await openSse(base, `${agent.base}/jobs/${jobId}/events`, bearer(agent.admin.token));
    await eventually(() => sse.text().includes(': keep-alive\n\n'), 'keep-alive');
    sse.close();
  });

  it('ends at once for a finished job, after its snapshot', async () => {
    const jobId = await createJob(hub, agent, [deviceId]);
    await finish(jobId);
    await eventually(
      async () =>
        (await hub.call(agent.admin.token, 'GET', `${agent.base}/jobs/${jobId}`)).json().status ===
        'succeeded',
      'job finished',
    );
    const sse = await openSse(base, `${agent.base}/jobs/${jobId}/events`, {
      cookie: `drm_session=${agent.admin.token}`,
    });
    await sse.ended;
    expect(sse.events().map((e) => e.event)).toEqual(['snapshot', 'end']);
  });

  it('refuses without a token (401), never from the URL, and answers 404 across tenants', async () => {
    const jobId = await createJob(hub, agent, [deviceId]);
    const path = `${agent.base}/jobs/${jobId}/events`;
    expect((await openSse(base, path, {})).status).toBe(401);
    expect((await openSse(base, `${path}?token=${agent.admin.token}`, {})).status).toBe(401);
    expect((await openSse(base, path, bearer(other.admin.token))).status).toBe(404);
    expect(
      (await openSse(base, `${other.base}/jobs/${jobId}/events`, bearer(other.admin.token))).status,
    ).toBe(404);
    expect(
      (await openSse(base, `${agent.base}/jobs/${randomUUID()}/events`, bearer(agent.admin.token))).status,
    ).toBe(404);
  });
});

describe('GET /api/v1/jobs/events/{id} (the earlier platform’s path)', () => {
  it('finds the job among the tenants the user may see and streams it', async () => {
    const jobId = await createJob(hub, agent, [deviceId]);
    const viewer = await hub.user({ [other.tenantId]: 'admin', [agent.tenantId]: 'viewer' });
    const sse = await openSse(base, `/api/v1/jobs/events/${jobId}`, bearer(viewer.token));
    expect(sse.status).toBe(200);
    await eventually(() => sse.events()[0]?.event === 'snapshot', 'snapshot');
    await finish(jobId);
    await sse.ended;
    expect(
      sse
        .events()
        .map((e) => e.event)
        .at(-1),
    ).toBe('end');
  });

  it('answers 404 for a job of a tenant the user may not see, or none, and 401 without a token', async () => {
    const jobId = await createJob(hub, agent, [deviceId]);
    expect((await openSse(base, `/api/v1/jobs/events/${jobId}`, bearer(other.admin.token))).status).toBe(404);
    expect(
      (await openSse(base, `/api/v1/jobs/events/${randomUUID()}`, bearer(agent.admin.token))).status,
    ).toBe(404);
    expect((await openSse(base, `/api/v1/jobs/events/${jobId}`, {})).status).toBe(401);
  });
});

describe('documentation', () => {
  it('describes the WebSocket and both SSE routes in the OpenAPI document', async () => {
    const doc = (await hub.call(null, 'GET', '/docs/json')).json() as {
      paths: Record<string, { get?: { description?: string; responses?: Record<string, unknown> } }>;
    };
    const ws = doc.paths['/api/v1/live']?.get;
    expect(ws?.description).toContain('subscribe');
    expect(ws?.responses).toHaveProperty('101');
    expect(doc.paths['/api/v1/tenants/{tenantId}/jobs/{id}/events']?.get?.responses).toHaveProperty('200');
    expect(doc.paths['/api/v1/jobs/events/{id}']?.get).toBeDefined();
  });
});
