import type { Device } from '@drm/protocol';
import { describe, expect, it } from 'vitest';
import {
  type DeviceFormModel,
  deviceBody,
  emptyCredential,
  modelFromDevice,
  newCredentialBody,
  secretUpdate,
  validateDeviceForm,
} from '../../src/views/devices/device-form-model.js';

const SITE = '11111111-1111-4111-8111-111111111111';
const CRED = '33333333-3333-4333-8333-333333333333';

const device: Device = {
  id: '22222222-2222-4222-8222-222222222222',
  tenantId: '44444444-4444-4444-8444-444444444444',
  siteId: SITE,
  agentId: null,
  name: 'core-sw',
  address: '192.0.2.1',
  description: '',
  tags: ['core', 'hq'],
  snmp: { version: '2c', port: 161, credentialId: CRED, timeoutMs: 2000, retries: 1, maxRepetitions: 25 },
  tr181: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
};

function model(patch: Partial<DeviceFormModel> = {}): DeviceFormModel {
  return { ...modelFromDevice(device), ...patch };
}

describe('device form model', () => {
  it('a device read back into the form gives the same body', () => {
    const body = deviceBody(model(), { snmp: CRED, tr181: null });
    expect(body).toEqual({
      name: 'core-sw',
      address: '192.0.2.1',
      siteId: SITE,
      agentId: null,
      description: '',
      tags: ['core', 'hq'],
      snmp: device.snmp,
      tr181: null,
    });
  });

  it('an existing credential with empty secret fields is kept as it is', () => {
    const m = model();
    expect(m.snmpCred.mode).toBe('existing');
    expect(secretUpdate(m.snmpCred, 'snmp', '2c')).toBeNull();
    expect(secretUpdate({ ...m.snmpCred, community: 'n3w' }, 'snmp', '2c')).toEqual({
      kind: 'snmp-community',
      community: 'n3w',
    });
  });

  it('for SNMPv3 only the keys typed are sent', () => {
    const c = { ...emptyCredential(CRED), privKey: 'a-new-priv-key' };
    expect(secretUpdate(c, 'snmp', '3')).toEqual({
      kind: 'snmp-v3',
      securityLevel: 'authPriv',
      authProtocol: 'sha256',
      privProtocol: 'aes',
      privKey: 'a-new-priv-key',
    });
  });

  it('a new credential matches the SNMP version', () => {
    const c = {
      ...emptyCredential(),
      name: 'branch',
      community: 'c0mm',
      username: 'ops',
      authKey: 'authkey-123',
      privKey: 'privkey-123',
    };
    expect(newCredentialBody(c, 'snmp', '1')).toEqual({
      kind: 'snmp-community',
      name: 'branch',
      version: '1',
      community: 'c0mm',
    });
    expect(newCredentialBody(c, 'snmp', '3')).toMatchObject({
      kind: 'snmp-v3',
      username: 'ops',
      authKey: 'authkey-123',
    });
    expect(newCredentialBody({ ...c, password: 'pw' }, 'cwmp', '2c')).toEqual({
      kind: 'cwmp',
      name: 'branch',
      username: 'ops',
      password: 'pw',
    });
  });

  it.each<[string, Partial<DeviceFormModel>, string]>([
    ['a missing name', { name: ' ' }, 'name'],
    ['a bad address', { address: 'not an address!' }, 'address'],
    ['a port out of range', { port: '70000' }, 'snmp.port'],
    ['an empty port', { port: '' }, 'snmp.port'],
    ['no site', { siteId: '' }, 'siteId'],
    [
      'a new credential without a community',
      { snmpCred: { ...emptyCredential(), name: 'x' } },
      'snmpCred.community',
    ],
    [
      'a v3 key that is too short',
      {
        snmpVersion: '3',
        snmpCred: {
          ...emptyCredential(),
          name: 'x',
          username: 'u',
          authKey: 'short',
          privKey: 'long-enough',
        },
      },
      'snmpCred.authKey',
    ],
    [
      'a TR-181 URL that is not http',
      { tr181Enabled: true, tr181Url: 'ftp://cpe', tr181Cred: emptyCredential(null) },
      'tr181.url',
    ],
  ])('%s is reported at its field', (_what, patch, key) => {
    expect([...validateDeviceForm(model(patch)).keys()]).toContain(key);
  });

  it('an empty number field asks for a number in plain words', () => {
    expect(validateDeviceForm(model({ retries: '' })).get('snmp.retries')).toBe('Enter a whole number');
  });

  it('a complete form has no problems', () => {
    expect(validateDeviceForm(model())).toEqual(new Map());
  });
});
