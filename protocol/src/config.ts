import { z } from 'zod';
import { Uuid } from './primitives.js';
import { DeviceAccess } from './device-access.js';
import { Schedule } from './schedules.js';

/**
 * A new MQTT password for the agent (credential rotation). The agent keeps it with its identity
 * before it acknowledges the revision that carries it, naming `rotationId` in that
 * acknowledgement, and logs in with it from then on; the hub accepts the old password too
 * until that acknowledgement. SECRET.
 */
export const AgentCredentials = z.object({
  rotationId: Uuid,
  mqttPassword: z.string().min(16).max(1024),
});
export type AgentCredentials = z.infer<typeof AgentCredentials>;

/**
 * `config` (hub→agent): the agent's whole desired state at one revision. It replaces the
 * previous one (no deltas), so a lost message costs nothing once a later one arrives. The agent
 * ignores a revision lower than the one it holds and answers every message with `ConfigAck`.
 * SECRET: `devices` carry credential material, and `credentials` (while a rotation of the
 * agent's own password waits for an acknowledgement that names it) the agent's new password.
 */
export const ConfigSync = z
  .object({
    revision: z.int().min(0),
    devices: z.array(DeviceAccess).max(10_000),
    schedules: z.array(Schedule).max(10_000),
    credentials: AgentCredentials.optional(),
  })
  .check((ctx) => {
    const known = new Set(ctx.value.devices.map((d) => d.deviceId));
    ctx.value.schedules.forEach((schedule, i) => {
      const missing = schedule.deviceIds.find((id) => !known.has(id));
      if (missing) {
        ctx.issues.push({
          code: 'custom',
          path: ['schedules', i, 'deviceIds'],
          message: `device ${missing} is not in devices`,
          input: missing,
        });
      }
    });
  });
export type ConfigSync = z.infer<typeof ConfigSync>;
