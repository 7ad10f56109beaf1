import type { Agent, Device, Site, SiteUpdate } from '@drm/protocol';

/** What a site form holds. */
export interface SiteFields {
  name: string;
  address: string;
  description: string;
}

/** The change from `site` to what the form holds: only the fields that differ (none: `{}`). */
export function siteChanges(site: Site, f: SiteFields): SiteUpdate {
  const name = f.name.trim();
  return {
    ...(name !== site.name && { name }),
    ...(f.address.trim() !== site.address && { address: f.address.trim() }),
    ...(f.description.trim() !== site.description && { description: f.description.trim() }),
  };
}

/**
 * What keeps a site from being deleted: its agents (revoked ones too: they stay on record,
 * and the database refers to their site) and its devices.
 */
export function siteOccupants(siteId: string, agents: Agent[], devices: Device[]) {
  return {
    agents: agents.filter((a) => a.siteId === siteId),
    devices: devices.filter((d) => d.siteId === siteId),
  };
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** The hub's refusal to delete a site that is in use, in words that say what to do. */
export function siteInUseText(name: string, o: ReturnType<typeof siteOccupants>): string {
  const devices = o.devices.length;
  const agents = o.agents.length;
  const revoked = o.agents.filter((a) => a.state === 'revoked').length;
  if (devices + agents === 0) {
    return `${name} was not deleted: agents or devices were added to it meanwhile. Reload the page to see them.`;
  }
  const has = [
    devices > 0 && plural(devices, 'device'),
    agents > 0 &&
      `${plural(agents, 'agent')}${revoked > 0 ? ` (${revoked} revoked, which still count)` : ''}`,
  ].filter(Boolean);
  const todo = [
    devices > 0 &&
      (devices === 1
        ? 'Delete the device or move it to another site on its edit page.'
        : 'Delete the devices or move them to another site on their edit pages.'),
    agents > 0 &&
      (agents === 1
        ? 'The agent must be moved to another site through the hub’s API.'
        : 'The agents must be moved to another site through the hub’s API.'),
  ].filter(Boolean);
  return `${name} was not deleted: it still has ${has.join(' and ')}. ${todo.join(' ')}`;
}
