import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SnmpSimulator, startSnmpSimulator } from '../../agent/test/helpers/snmp-simulator.js';
import { addDevice } from '../../agent/test/link/hub-side.js';
import { createTestHub, type TestHub } from '../../hub/test/helpers/hub.js';
import type { TestAgent } from '../../hub/test/helpers/mqtt.js';
import {
  type AgentProcess,
  enrolledAgent,
  listen,
  readStore,
  removeDataDirs,
  restartHub,
  spawnAgent,
  stopProcess,
  waitFor,
} from './support.js';

/**
 * The hub goes down while `drm-agent run` polls a schedule it holds as desired state, and
 * comes back on the same MQTT port and database. Every sample taken during the outage
 * arrives, and none is stored twice (the samples table is partitioned by time; the agent's
 * sample ids are compared with its rows).
 */

const INTERVAL_S = 10;
const OIDS = ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.2.2.1.10.2'];

let hub: TestHub;
let second: FastifyInstance | undefined;
let sim: SnmpSimulator;
let agent: TestAgent;
let dataDir: string;
let devices: string[];
let proc: AgentProcess | undefined;

beforeAll(async () => {
  hub = await createTestHub();
  const hubUrl = await listen(hub.app);
  sim = await startSnmpSimulator();
  ({ agent, dataDir } = await enrolledAgent(hub, hubUrl));
  devices = [];
  for (let i = 0; i < 3; i++) {
    devices.push(await addDevice(hub, agent, { address: sim.host, port: sim.port, name: `polled-${i}` }));
  }
}, 120_000);

afterAll(async () => {
  if (proc) await stopProcess(proc, 'SIGKILL');
  await second?.close();
  await sim?.close();
  await hub?.close();
  removeDataDirs();
});

interface Row {
  id: string;
  device_id: string;
  oid: string;
  ts: Date;
}

const samplesOf = async (scheduleId: string) =>
  (
    await hub.db.asOwner((q) =>
      q.query<Row>(
        `SELECT id::text, device_id::text, oid, ts FROM samples
          WHERE tenant_id = $1 AND schedule_id = $2 ORDER BY ts`,
        [agent.tenantId, scheduleId],
      ),
    )
  ).rows;

const agentState = async (app: FastifyInstance) =>
  (
    await app.inject({
      method: 'GET',
      url: `${agent.base}/agents/${agent.agentId}`,
      headers: { authorization: `Bearer ${agent.admin.token}` },
    })
  ).json().state as string;

it('delivers every sample polled while the hub was down, exactly once, once it is back', async () => {
  proc = spawnAgent(dataDir);
  await waitFor('the agent online', async () =>
    (await agentState(hub.app)) === 'online' ? true : undefined,
  );
  const created = await hub.call(agent.admin.token, 'POST', `${agent.base}/schedules`, {
    name: 'counters',
    kind: 'snmp.get',
    params: { oids: OIDS },
    deviceIds: devices,
    intervalSeconds: INTERVAL_S,
    jitterPct: 0,
  });
  expect(created.statusCode).toBe(201);
  const scheduleId = created.json().id as string;
  const perRun = devices.length * OIDS.length;
  await waitFor('the first run stored by the hub', async () =>
    (await samplesOf(scheduleId)).length >= perRun ? true : undefined,
  );

  // Down: the broker and the API go, the database stays.
  const mqttPort = hub.app.mqtt.port!;
  const secrets = hub.app.secrets;
  await hub.app.close();
  const stored = (await samplesOf(scheduleId)).length;
  await waitFor('the agent to notice', () =>
    readStore(dataDir, (s) => s.meta.link()?.state) === 'disconnected' ? true : undefined,
  );
  // The agent keeps polling: at least one full run waits in its outbox.
  const during = await waitFor(
    'a run polled during the outage',
    () =>
      readStore(dataDir, (s) => {
        const batch = s.outbox.peekBatch(10_000, Number.MAX_SAFE_INTEGER);
        return batch.length >= perRun ? batch.map((e) => e.id) : undefined;
      }),
    2 * INTERVAL_S * 1000,
  );
  expect((await samplesOf(scheduleId)).length).toBe(stored);

  // Back, on the same port and database.
  second = await restartHub(hub.db, secrets, mqttPort);
  await waitFor('the agent back online', async () =>
    (await agentState(second!)) === 'online' ? true : undefined,
  );
  await waitFor('the outbox drained', () =>
    readStore(dataDir, (s) => s.outbox.stats().count) === 0 ? true : undefined,
  );

  const rows = await samplesOf(scheduleId);
  const ids = rows.map((r) => r.id);
  // Every sample taken during the outage arrived, and no sample is stored twice.
  expect(ids).toEqual(expect.arrayContaining(during));
  expect(new Set(ids).size).toBe(ids.length);
  // Nor polled twice: per device and OID, one sample per run, runs an interval apart, no gap.
  for (const deviceId of devices) {
    for (const oid of OIDS) {
      const times = rows.filter((r) => r.device_id === deviceId && r.oid === oid).map((r) => r.ts.getTime());
      expect(times.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i]! - times[i - 1]!) / 1000;
        expect(gap).toBeGreaterThan(INTERVAL_S * 0.5);
        expect(gap).toBeLessThan(INTERVAL_S * 1.5);
      }
    }
  }
  expect(await stopProcess(proc)).toEqual({ code: 0, signal: null });
  expect(await agentState(second)).toBe('offline');
}, 90_000);
