import { z } from 'zod';
import { DeviceAccess } from './device-access.js';
import { Schedule } from './schedules.js';

/**
 * `config` (hub→agent): the agent's whole desired state at one revision. It replaces the
 * previous one (no deltas), so a lost message costs nothing once a later one arrives. The agent
 * ignores a revision lower than the one it holds and answers every message with `ConfigAck`.
 * SECRET: `devices` carry credential material.
 */
export const ConfigSync = z
  .object({
    revision: z.int().min(0),
    devices: z.array(DeviceAccess).max(10_000),
    schedules: z.array(Schedule).max(10_000),
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
