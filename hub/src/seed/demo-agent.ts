import type { FastifyInstance } from 'fastify';
import { ScheduleCreate } from '@drm/protocol';
import { bumpConfigRevisions } from '../modules/devices/agent-config.js';
import { updateDevice } from '../modules/devices/repo.js';
import { insertToken } from '../modules/enrollment/repo.js';
import { insertSchedule, listSchedules } from '../modules/schedules/repo.js';
import { hashToken, newToken } from '../security/tokens.js';
import { DEMO_IDS } from './demo.js';

/** The demo's poll: uptime and the traffic counters of the simulated device's uplink. */
export const DEMO_SCHEDULE_NAME = 'demo: uplink traffic';
const DEMO_POLL_OIDS = [
  '1.3.6.1.2.1.1.3.0', // sysUpTime.0
  '1.3.6.1.2.1.2.2.1.10.2', // ifInOctets.2
  '1.3.6.1.2.1.2.2.1.16.2', // ifOutOctets.2
  '1.3.6.1.2.1.31.1.1.1.6.2', // ifHCInOctets.2
];
const DEMO_INTERVAL_SECONDS = 10;

const demoActor = { tenantId: DEMO_IDS.customer, userId: DEMO_IDS.admin };

/**
 * A fresh single-use enrollment token for the demo site, as an admin would make through the
 * API, for the local agent that `npm start` enrolls by itself.
 */
export async function demoEnrollmentToken(app: FastifyInstance, ttlMinutes = 10): Promise<string> {
  const token = newToken('enroll');
  await app.db.withTenant(demoActor, (q) =>
    insertToken(q, DEMO_IDS.customer, {
      siteId: DEMO_IDS.site,
      tokenHash: hashToken(token),
      ttlMinutes,
      createdBy: DEMO_IDS.admin,
    }),
  );
  return token;
}

/**
 * Points the demo device at the simulated device on this host, hands it to the local agent,
 * makes sure the demo poll exists, and pushes the agent its new desired state. Run at every
 * start: the simulated device's port may change from one start to the next.
 */
export async function attachDemoDevice(
  app: FastifyInstance,
  target: { agentId: string; host: string; port: number },
): Promise<void> {
  await app.db.withTenant(demoActor, async (q) => {
    await updateDevice(q, DEMO_IDS.device, {
      agentId: target.agentId,
      address: target.host,
      snmp: {
        version: '2c',
        port: target.port,
        credentialId: DEMO_IDS.credential,
        timeoutMs: 2000,
        retries: 1,
        maxRepetitions: 25,
      },
    });
    const schedules = await listSchedules(q, { cursor: null, limit: 100, deviceId: DEMO_IDS.device });
    if (!schedules.some((s) => s.name === DEMO_SCHEDULE_NAME)) {
      // Parsed, so the poll gets the same defaults as one made through the API.
      const schedule = ScheduleCreate.parse({
        name: DEMO_SCHEDULE_NAME,
        kind: 'snmp.get',
        deviceIds: [DEMO_IDS.device],
        params: { oids: DEMO_POLL_OIDS },
        intervalSeconds: DEMO_INTERVAL_SECONDS,
      });
      await insertSchedule(q, DEMO_IDS.customer, schedule);
    }
    await bumpConfigRevisions(q, [target.agentId]);
  });
  await app.configChanged?.(DEMO_IDS.customer, [target.agentId]);
}
