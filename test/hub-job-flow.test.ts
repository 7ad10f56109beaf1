import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelMessage, messageFor, parseMessage, parseTopic, uuidv7 } from '@drm/protocol';
import { createTestHub, type TestHub } from '../hub/test/helpers/hub.js';
import {
  connectAgent,
  enrollAgent,
  statusPayload,
  type TestAgent,
  topicOf,
} from '../hub/test/helpers/mqtt.js';

/**
 * The hub's side of a job, end to end over real MQTT: an operator creates a job through the
 * API, the hub dispatches it to the agent's topic, the agent (here a plain MQTT client that
 * speaks the protocol) receipts it, reports progress and a result, and the hub acknowledges
 * the result only after storing it; replays are stored once and acknowledged again; an agent
 * that reconnects gets every job it has not receipted.
 */

type Inbox = { [C in 'jobs' | 'config' | 'ack' | 'cancel']: ChannelMessage<C>[] };

let hub: TestHub;
let url: string;
let agent: TestAgent;
let deviceId: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  hub = await createTestHub();
  url = `mqtt://127.0.0.1:${hub.app.mqtt.port}`;
  agent = await enrollAgent(hub);
  const cred = await hub.call(agent.admin.token, 'POST', `${agent.base}/credentials`, {
    name: 'lab-public',
    kind: 'snmp-community',
    version: '2c',
    community: 'lab-secret-community',
  });
  expect(cred.statusCode).toBe(201);
  const device = await hub.call(agent.admin.token, 'POST', `${agent.base}/devices`, {
    siteId: agent.siteId,
    agentId: agent.agentId,
    name: 'core-switch',
    address: '192.0.2.10',
    snmp: { version: '2c', port: 161, credentialId: cred.json().id },
  });
  expect(device.statusCode).toBe(201);
  deviceId = device.json().id;
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await hub?.close();
});

/** Connects as the agent, subscribes to its four channels and collects what arrives. */
async function online(): Promise<{ client: MqttClient; inbox: Inbox }> {
  const client = await connectAgent(url, agent, { clean: true });
  clients.push(client);
  const inbox: Inbox = { jobs: [], config: [], ack: [], cancel: [] };
  client.on('message', (topic, payload) => {
    const parsed = parseTopic(topic);
    if (!parsed || !(parsed.channel in inbox)) return;
    const channel = parsed.channel as keyof Inbox;
    const result = parseMessage(channel, payload);
    if (!result.ok) throw new Error(`hub sent an invalid ${channel} message: ${result.error}`);
    (inbox[channel] as unknown[]).push(result.message);
  });
  await client.subscribeAsync(
    (['jobs', 'config', 'ack', 'cancel'] as const).map((c) => topicOf(agent, c)),
    { qos: 1 },
  );
  await client.publishAsync(topicOf(agent, 'status'), statusPayload(agent, 'online'), {
    qos: 1,
    retain: true,
  });
  return { client, inbox };
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function createJob(): Promise<string> {
  const res = await hub.call(agent.admin.token, 'POST', `${agent.base}/jobs`, {
    kind: 'snmp.get',
    targets: [deviceId],
    params: { oids: ['1.3.6.1.2.1.1.1.0'] },
  });
  expect(res.statusCode).toBe(202);
  return res.json().id;
}

const getJob = async (id: string) =>
  (await hub.call(agent.admin.token, 'GET', `${agent.base}/jobs/${id}`)).json();

describe('a job over MQTT', () => {
  it('is dispatched with decrypted access, receipted, run, stored once and acked after commit', async () => {
    const { client, inbox } = await online();
    // The desired state arrives on connect.
    const config = await until(() => inbox.config[0], 'config');
    expect(config.body.devices.map((d) => d.deviceId)).toEqual([deviceId]);

    const jobId = await createJob();
    const dispatch = await until(() => inbox.jobs.find((m) => m.body.jobId === jobId), 'dispatch');
    const target = dispatch.body.targets[0]!;
    expect(target.deviceId).toBe(deviceId);
    expect(JSON.stringify(target)).toContain('lab-secret-community');
    expect((await getJob(jobId)).targets[0].status).toBe('dispatched');

    await client.publishAsync(
      topicOf(agent, 'receipts'),
      JSON.stringify(messageFor('receipts', { jobIds: [jobId] })),
      {
        qos: 1,
      },
    );
    await client.publishAsync(
      topicOf(agent, 'progress'),
      JSON.stringify(messageFor('progress', { jobId, deviceId, state: 'started', counts: { varbinds: 0 } })),
      { qos: 1 },
    );
    await until(
      async () => ((await getJob(jobId)).targets[0].status === 'running' ? true : undefined),
      'running',
    );

    const resultId = uuidv7();
    const now = new Date().toISOString();
    const batch = messageFor('results', {
      items: [
        {
          kind: 'result',
          id: resultId,
          jobId,
          deviceId,
          status: 'succeeded',
          startedAt: now,
          finishedAt: now,
          varbinds: [{ oid: '1.3.6.1.2.1.1.1.0', type: 'OctetString', value: 'Linux core-switch' }],
        },
      ],
    });
    await client.publishAsync(topicOf(agent, 'results'), JSON.stringify(batch), { qos: 1 });
    const ack = await until(() => inbox.ack.find((m) => m.body.committed.includes(resultId)), 'ack');
    expect(ack.body.rejected ?? []).toEqual([]);

    // The ack came after the commit: the result is readable at once.
    const job = await getJob(jobId);
    expect(job.status).toBe('succeeded');
    expect(job.progress).toEqual({ done: 1, total: 1 });
    const results = (await hub.call(agent.admin.token, 'GET', `${agent.base}/jobs/${jobId}/results`)).json();
    expect(results.items).toHaveLength(1);
    expect(results.items[0].varbinds[0].value).toBe('Linux core-switch');

    // A replay (the agent never saw the ack) is acked again and stored once.
    await client.publishAsync(topicOf(agent, 'results'), JSON.stringify({ ...batch, id: uuidv7() }), {
      qos: 1,
    });
    await until(
      () => (inbox.ack.filter((m) => m.body.committed.includes(resultId)).length === 2 ? true : undefined),
      'second ack',
    );
    const again = (await hub.call(agent.admin.token, 'GET', `${agent.base}/jobs/${jobId}/results`)).json();
    expect(again.items).toHaveLength(1);
    client.end(true);
  });

  it('re-sends jobs the agent has not receipted when it connects again', async () => {
    const first = await online();
    const jobId = await createJob();
    await until(() => first.inbox.jobs.find((m) => m.body.jobId === jobId), 'first dispatch');
    // The agent drops before it stores the job: no receipt reached the hub.
    first.client.end(true);

    const second = await online();
    const resent = await until(() => second.inbox.jobs.find((m) => m.body.jobId === jobId), 're-dispatch');
    expect(resent.body.targets.map((t) => t.deviceId)).toEqual([deviceId]);
    second.client.end(true);
  });

  it('rejects a result for a device that is not this agent’s, and stores nothing for it', async () => {
    const { client, inbox } = await online();
    const jobId = await createJob();
    await until(() => inbox.jobs.find((m) => m.body.jobId === jobId), 'dispatch');
    const other = await enrollAgent(hub);
    const otherDevice = await hub.call(other.admin.token, 'POST', `${other.base}/devices`, {
      siteId: other.siteId,
      name: 'elsewhere',
      address: '192.0.2.99',
    });
    const id = uuidv7();
    const now = new Date().toISOString();
    await client.publishAsync(
      topicOf(agent, 'results'),
      JSON.stringify(
        messageFor('results', {
          items: [
            {
              kind: 'result',
              id,
              jobId,
              deviceId: otherDevice.json().id,
              status: 'succeeded',
              startedAt: now,
              finishedAt: now,
            },
          ],
        }),
      ),
      { qos: 1 },
    );
    const ack = await until(() => inbox.ack.find((m) => m.body.rejected?.some((r) => r.id === id)), 'reject');
    expect(ack.body.committed).not.toContain(id);
    const stored = await hub.db.asOwner((q) => q.query('SELECT 1 FROM job_results WHERE id = $1', [id]));
    expect(stored.rowCount).toBe(0);
    client.end(true);
  });
});
