import type { Role } from '@drm/protocol';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/**
 * What each action needs, mirroring the hub's checks (`requireRole` in its routes). The hub
 * decides; the dashboard only leaves out controls a role could not use.
 */
export const NEEDS = {
  'jobs.write': 'operator',
  'schedules.write': 'operator',
  'devices.write': 'operator',
  'credentials.write': 'operator',
  'sites.write': 'admin',
  'agents.manage': 'admin',
  'enrollment.manage': 'admin',
  'users.manage': 'admin',
  'audit.read': 'admin',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof NEEDS;

export function can(role: Role | undefined, action: Action): boolean {
  return role !== undefined && RANK[role] >= RANK[NEEDS[action]];
}
