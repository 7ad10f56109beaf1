import { describe, expect, it } from 'vitest';
import type { Agent, Device, Site } from '@drm/protocol';
import { siteChanges, siteInUseText, siteOccupants } from '../../src/lib/sites.js';

const SITE = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

const site: Site = {
  id: SITE,
  tenantId: '44444444-4444-4444-8444-444444444444',
  name: 'Demo HQ',
  description: '',
  address: '1 Main St',
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
};

const agent = (siteId: string, state: Agent['state']) => ({ siteId, state }) as Agent;
const device = (siteId: string) => ({ siteId }) as Device;

describe('siteChanges', () => {
  it.each<[string, { name: string; address: string; description: string }, object]>([
    ['nothing changed', { name: 'Demo HQ', address: '1 Main St', description: '' }, {}],
    ['a new name, trimmed', { name: ' Branch ', address: '1 Main St', description: '' }, { name: 'Branch' }],
    [
      'address and description',
      { name: 'Demo HQ', address: '2 High St', description: 'Rack 4' },
      { address: '2 High St', description: 'Rack 4' },
    ],
  ])('%s', (_, fields, expected) => {
    expect(siteChanges(site, fields)).toEqual(expected);
  });
});

describe('siteInUseText', () => {
  it('counts the site’s devices and agents, revoked ones too, and says what to do', () => {
    const agents = [agent(SITE, 'online'), agent(SITE, 'revoked'), agent(OTHER, 'online')];
    const devices = [device(SITE), device(OTHER)];
    const o = siteOccupants(SITE, agents, devices);
    expect(o.agents).toHaveLength(2);
    expect(o.devices).toHaveLength(1);
    expect(siteInUseText('Demo HQ', o)).toBe(
      'Demo HQ was not deleted: it still has 1 device and 2 agents (1 revoked, which still count). ' +
        'Delete the device or move it to another site on its edit page. ' +
        'The agents must be moved to another site through the hub’s API.',
    );
  });

  it('only devices', () => {
    const o = siteOccupants(SITE, [], [device(SITE), device(SITE)]);
    expect(siteInUseText('Branch', o)).toBe(
      'Branch was not deleted: it still has 2 devices. ' +
        'Delete the devices or move them to another site on their edit pages.',
    );
  });

  it('only an agent', () => {
    const o = siteOccupants(SITE, [agent(SITE, 'offline')], []);
    expect(siteInUseText('Branch', o)).toBe(
      'Branch was not deleted: it still has 1 agent. The agent must be moved to another site through the hub’s API.',
    );
  });

  it('nothing the page knows of: something was added meanwhile', () => {
    expect(siteInUseText('Branch', siteOccupants(SITE, [], []))).toBe(
      'Branch was not deleted: agents or devices were added to it meanwhile. Reload the page to see them.',
    );
  });
});
