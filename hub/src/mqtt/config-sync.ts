import type { BaseLogger } from 'pino';
import { type ConfigSync, DeviceAccess, encodeMessage, messageFor, Schedule } from '@drm/protocol';
import type { Db, Queryable } from '../db/types.js';
import { pendingPassword } from '../modules/agents/rotation.js';
import { createAccessResolver } from '../modules/credentials/device-access.js';
import { agentConfigSource, agentSet, bumpConfigRevisions } from '../modules/devices/agent-config.js';
import { enabledSchedulesOver } from '../modules/schedules/repo.js';
import type { SecretBox } from '../security/secret-box.js';
import type { AgentIdentity, MqttHub } from './types.js';

export type ConfigSyncLog = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;

export interface ConfigSyncDeps {
  db: Db;
  mqtt: Pick<MqttHub, 'publish'>;
  secrets: SecretBox;
  log: ConfigSyncLog;
}

export interface ConfigSyncService {
  /**
   * The agent's whole desired state at its current revision: its devices with SNMP access
   * material (credentials decrypted) and the enabled schedules over them, cut down to its own
   * devices, and the agent's new MQTT password while a rotation waits for it. Null when the
   * agent does not exist in the tenant or was revoked. SECRET: carries credentials.
   */
  desiredState(tenantId: string, agentId: string): Promise<ConfigSync | null>;
  /**
   * Publishes each agent's desired state on its `config` channel; failures are logged per
   * agent. Resolves once a push that started after the call has finished; calls made while an
   * agent's push runs share the one push after it.
   */
  push(tenantId: string, agentIds: readonly string[]): Promise<void>;
  /** Increments the agents' revisions, then pushes. */
  bump(tenantId: string, agentIds: readonly string[]): Promise<void>;
  /**
   * For `mqtt.onAgentConnected`: always pushes. The hub cannot tell from its own records
   * whether the agent still holds what it acked (a reinstalled data folder, a lost message
   * before the ack), and one message per connection is cheap; the agent acks what it keeps.
   */
  onAgentConnected(agent: AgentIdentity): Promise<void>;
}

/**
 * Devices carry SNMP access only: schedules are SNMP polls, and the trap receiver needs the
 * SNMPv3 users. TR-181 passwords travel only with the jobs that use them.
 */
async function buildState(
  q: Queryable,
  secrets: SecretBox,
  log: ConfigSyncLog,
  tenantId: string,
  agentId: string,
): Promise<ConfigSync | null> {
  const source = await agentConfigSource(q, agentId);
  if (!source) return null;
  const resolver = createAccessResolver(q, secrets, tenantId);
  const devices: DeviceAccess[] = [];
  for (const d of source.devices) {
    const snmp = d.snmp ? await resolver.snmp(d) : null;
    if (snmp && !snmp.ok)
      log.warn({ tenantId, agentId, deviceId: d.id, reason: snmp.reason }, 'no SNMP access');
    const parsed = DeviceAccess.safeParse({
      deviceId: d.id,
      address: d.address,
      ...(snmp?.ok && { snmp: snmp.access }),
    });
    if (parsed.success) devices.push(parsed.data);
    else log.error({ tenantId, agentId, deviceId: d.id }, 'device left out of the config: not valid access');
  }
  const known = new Set(devices.map((d) => d.deviceId.toLowerCase()));
  const schedules: Schedule[] = [];
  for (const s of await enabledSchedulesOver(q, [...known])) {
    // A schedule may span agents, and may still list devices deleted since.
    const deviceIds = s.deviceIds.filter((id) => known.has(id.toLowerCase()));
    if (deviceIds.length === 0) continue;
    const parsed = Schedule.safeParse({
      id: s.id,
      name: s.name,
      kind: s.kind,
      params: s.params,
      deviceIds,
      intervalSeconds: s.intervalSeconds,
      jitterPct: s.jitterPct,
      enabled: s.enabled,
    });
    if (parsed.success) schedules.push(parsed.data);
    else log.error({ tenantId, agentId, scheduleId: s.id }, 'schedule left out of the config: not valid');
  }
  // A new MQTT password waiting for the agent rides along until the agent acknowledges it.
  let credentials: ConfigSync['credentials'] | null = null;
  try {
    credentials = await pendingPassword(q, secrets, tenantId, agentId);
  } catch (err) {
    // The rotation cannot end (its acknowledgement names it); revoking and enrolling again can.
    log.error(
      { err, tenantId, agentId },
      'the new agent password cannot be opened (was the hub key changed?)',
    );
  }
  return { revision: source.revision, devices, schedules, ...(credentials && { credentials }) };
}

export function createConfigSync({ db, mqtt, secrets, log }: ConfigSyncDeps): ConfigSyncService {
  const desiredState = (tenantId: string, agentId: string) =>
    db.withTenant(tenantId, (q) => buildState(q, secrets, log, tenantId, agentId));

  async function pushOne(tenantId: string, agentId: string): Promise<void> {
    const state = await desiredState(tenantId, agentId);
    if (!state) return;
    const { bytes, fits, limit } = encodeMessage(messageFor('config', state));
    if (!fits) {
      // The protocol has no partial config: the agent keeps its previous revision.
      log.error(
        { tenantId, agentId, bytes, limit, devices: state.devices.length },
        'config too large to send',
      );
      return;
    }
    await mqtt.publish(tenantId, agentId, 'config', state);
    log.debug({ tenantId, agentId, revision: state.revision }, 'config pushed');
  }

  async function pushLogged(tenantId: string, agentId: string): Promise<void> {
    try {
      await pushOne(tenantId, agentId);
    } catch (err) {
      log.error({ err, tenantId, agentId }, 'config push failed');
    }
  }

  /*
   * One push per agent at a time, and at most one more waiting: every push reads the state as
   * it is when it starts, so requests made while one runs are all served by the one after it.
   * A thousand devices added to an agent one after another send a handful of configs, not a
   * thousand ever larger ones.
   */
  const flights = new Map<string, { running: Promise<void>; next: Promise<void> | null }>();
  function pushCoalesced(tenantId: string, agentId: string): Promise<void> {
    const key = `${tenantId.toLowerCase()}/${agentId}`;
    const start = (flight: { running: Promise<void>; next: Promise<void> | null }) => {
      const running = pushLogged(tenantId, agentId).finally(() => {
        if (flight.running === running && flight.next === null) flights.delete(key);
      });
      flight.running = running;
      return running;
    };
    const flight = flights.get(key);
    if (!flight) {
      const fresh = { running: Promise.resolve(), next: null };
      flights.set(key, fresh);
      return start(fresh);
    }
    flight.next ??= flight.running.then(() => {
      flight.next = null;
      return start(flight);
    });
    return flight.next;
  }

  const service: ConfigSyncService = {
    desiredState,
    async push(tenantId, agentIds) {
      for (const agentId of agentSet(...agentIds)) await pushCoalesced(tenantId, agentId);
    },
    async bump(tenantId, agentIds) {
      const agents = agentSet(...agentIds);
      if (agents.length === 0) return;
      await db.withTenant(tenantId, (q) => bumpConfigRevisions(q, agents));
      await service.push(tenantId, agents);
    },
    onAgentConnected: ({ tenantId, agentId }) => service.push(tenantId, [agentId]),
  };
  return service;
}
