import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, MAX_MESSAGE_BYTES, messageFor } from '@drm/protocol';
import { Agent } from '../agent/src/agent.js';
import { loadConfig } from '../agent/src/config.js';
import { readStatus } from '../agent/src/status.js';
import { SIM_GOLDEN, type SnmpSimulator, startSnmpSimulator } from '../agent/test/helpers/snmp-simulator.js';
import { addDevice } from '../agent/test/link/hub-side.js';
import { createConfigSync } from '../hub/src/mqtt/config-sync.js';
import { createTestHub, type TestHub } from '../hub/test/helpers/hub.js';
import { FakeMqttHub } from '../hub/test/mqtt/ingest-support.js';
import { type TestAgent, until } from '../hub/test/helpers/mqtt.js';
import { enrolledAgent, listen, removeDataDirs, waitFor } from './faults/support.js';

/**
 * The whole path of a job: an agent enrolled through the API, an operator's `snmp.get` and
 * `snmp.walk` created with `POST …/jobs`, run by the `Agent` against a simulated device over
 * real SNMP, reported over real MQTT, committed by the hub and read back with `GET …/jobs/{id}`;
 * and a schedule pushed as desired state whose samples reach the samples table.
 */

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let hub: TestHub;
let sim: SnmpSimulator;
let agent: TestAgent;
let dataDir: string;
let running: Agent;
let deviceId: string;

beforeAll(async () => {
  hub = await createTestHub();
  const hubUrl = await listen(hub.app);
  sim = await startSnmpSimulator();
  ({ agent, dataDir } = await enrolledAgent(hub, hubUrl));
  deviceId = await addDevice(hub, agent, { address: sim.host, port: sim.port, community: sim.readCommunity });
  const config = loadConfig({
    env: {},
    flags: { 'data-dir': dataDir, 'trap-port': '0', 'trap-host': '127.0.0.1', 'heartbeat-seconds': '1' },
  });
  running = new Agent({ config, log, version: '0.0.0-e2e' });
  await running.start();
}, 120_000);

afterAll(async () => {
  await running?.stop();
  await sim?.close();
  await hub?.close();
  removeDataDirs();
});

const call = (method: 'GET' | 'POST', url: string, body?: unknown) =>
  hub.call(agent.admin.token, method, `${agent.base}${url}`, body);

async function finished(jobId: string) {
  return waitFor(`job ${jobId} to finish`, async () => {
    const job = (await call('GET', `/jobs/${jobId}`)).json();
    return ['succeeded', 'failed', 'partial'].includes(job.status) ? job : undefined;
  });
}

describe('drm-agent run, end to end', () => {
  it('comes online with its version and subscriptions', async () => {
    const page = await waitFor('agent online', async () => {
      const res = (await call('GET', `/agents/${agent.agentId}`)).json();
      return res.state === 'online' ? res : undefined;
    });
    expect(page.version).toBe('0.0.0-e2e');
    // The desired state the hub pushed on connect is stored and acked.
    await waitFor('config acked', async () => {
      const revision = readStatus(dataDir, { outboxMaxBytes: 1 << 20 }).desiredState.revision;
      const res = (await call('GET', `/agents/${agent.agentId}`)).json();
      return revision >= 0 && res.configRevision === revision && res.appliedConfigRevision === revision
        ? true
        : undefined;
    });
  });

  it('runs an snmp.get created through the API and the hub shows the value', async () => {
    const res = await call('POST', '/jobs', {
      kind: 'snmp.get',
      targets: [deviceId],
      params: { oids: ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.5.0'] },
    });
    expect(res.statusCode).toBe(202);
    const jobId = res.json().id as string;
    const job = await finished(jobId);
    expect(job.status).toBe('succeeded');
    expect(job.progress).toEqual({ done: 1, total: 1 });
    const results = (await call('GET', `/jobs/${jobId}/results`)).json();
    expect(results.items).toHaveLength(1);
    expect(results.items[0].varbinds.map((v: { value: unknown }) => v.value)).toEqual([
      SIM_GOLDEN.sysDescr,
      SIM_GOLDEN.sysName,
    ]);
    // Acked, so gone from the outbox; the link and the last contact are on record.
    const status = await waitFor('outbox drained', () => {
      const s = readStatus(dataDir, { outboxMaxBytes: 1 << 20 });
      return s.outbox.results === 0 ? s : undefined;
    });
    expect(status.link.state).toBe('connected');
    expect(status.link.lastContactAt).not.toBeNull();
  });

  it('runs a walk', async () => {
    const res = await call('POST', '/jobs', {
      kind: 'snmp.walk',
      targets: [deviceId],
      params: { oid: '1.3.6.1.2.1.2.2.1.2' },
    });
    expect(res.statusCode).toBe(202);
    const job = await finished(res.json().id);
    expect(job.status).toBe('succeeded');
    const results = (await call('GET', `/jobs/${job.id}/results`)).json();
    expect(results.items[0].varbinds.map((v: { value: unknown }) => v.value)).toEqual(SIM_GOLDEN.ifDescr);
  });

  it('polls a schedule pushed as desired state, and its samples reach the hub', async () => {
    const res = await call('POST', '/schedules', {
      name: 'uptime',
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.3.0'] },
      deviceIds: [deviceId],
      intervalSeconds: 10,
      jitterPct: 0,
    });
    expect(res.statusCode).toBe(201);
    const scheduleId = res.json().id as string;
    const rows = await waitFor('a sample in the database', async () => {
      const { rows } = await hub.db.asOwner((q) =>
        q.query<{ value_num: number }>('SELECT value_num FROM samples WHERE schedule_id = $1', [scheduleId]),
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(rows[0]?.value_num).toBe(SIM_GOLDEN.sysUpTime);
  });

  it('takes a desired state larger than any other message may be: two thousand devices', async () => {
    await hub.db.withTenant(agent.tenantId, (q) =>
      q.query(
        `INSERT INTO devices (tenant_id, site_id, agent_id, name, address, snmp)
         SELECT tenant_id, site_id, agent_id, name || '-copy-' || g, '10.99.' || (g / 256) || '.' || (g % 256), snmp
           FROM devices, generate_series(1, 2000) AS g WHERE id = $1`,
        [deviceId],
      ),
    );
    // One more device through the API moves the revision on and pushes the whole state.
    await addDevice(hub, agent, { address: sim.host, port: sim.port, community: sim.readCommunity });
    const sync = createConfigSync({ db: hub.db, mqtt: new FakeMqttHub(), secrets: hub.app.secrets, log });
    const state = await sync.desiredState(agent.tenantId, agent.agentId);
    expect(state?.devices.length).toBeGreaterThanOrEqual(2002);
    const size = encodeMessage(messageFor('config', state!)).bytes;
    expect(size).toBeGreaterThan(MAX_MESSAGE_BYTES);

    await waitFor('the agent to store and ack it', async () => {
      const held = readStatus(dataDir, { outboxMaxBytes: 1 << 20 }).desiredState;
      const res = (await call('GET', `/agents/${agent.agentId}`)).json();
      // Stored on the agent, and its ack recorded by the hub (the ack lands a moment later).
      return held.revision === state?.revision && res.appliedConfigRevision === held.revision
        ? held
        : undefined;
    });
    expect(readStatus(dataDir, { outboxMaxBytes: 1 << 20 }).desiredState.devices).toBe(state?.devices.length);
    const { rows } = await hub.db.asOwner((q) =>
      q.query<{ acked: number; wanted: number }>(
        'SELECT acked_config_revision AS acked, config_revision AS wanted FROM agents WHERE id = $1',
        [agent.agentId],
      ),
    );
    expect(rows[0]).toEqual({ acked: state?.revision, wanted: state?.revision });
  });

  it('stops cleanly: the hub sees it offline within moments, not after a keep-alive timeout', async () => {
    await running.stop();
    // The agent's `offline` is published before it disconnects; the hub records it
    // asynchronously, so allow the record a moment (a will would take the keep-alive, 30 s+).
    const state = await until(async () => {
      const page = (await call('GET', `/agents/${agent.agentId}`)).json() as { state: string };
      return page.state === 'offline' ? page.state : undefined;
    }, 5_000);
    expect(state).toBe('offline');
    expect(readStatus(dataDir, { outboxMaxBytes: 1 << 20 }).link.state).toBe('disconnected');
  });
});
