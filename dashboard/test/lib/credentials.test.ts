import { describe, expect, it } from 'vitest';
import { Credential, type Device, type ScheduleDto } from '@drm/protocol';
import {
  credentialSummary,
  credentialUsage,
  usageOf,
  usageText,
  versionLabel,
} from '../../src/lib/credentials.js';

const AT = '2025-03-01T12:00:00.000Z';
const C1 = '11111111-1111-4111-8111-111111111111';
const C2 = '22222222-2222-4222-8222-222222222222';

function cred(patch: Record<string, unknown>): Credential {
  return Credential.parse({ id: C1, name: 'x', createdAt: AT, updatedAt: AT, ...patch });
}

function device(id: string, snmp: string | null, tr181: string | null): Device {
  return {
    id,
    name: `dev-${id.slice(0, 4)}`,
    snmp: snmp ? { version: '2c', port: 161, credentialId: snmp } : null,
    tr181: tr181 ? { credentialId: tr181 } : null,
  } as Device;
}

describe('credential words', () => {
  it.each<[Record<string, unknown>, string, string]>([
    [{ kind: 'snmp-community', version: '2c' }, 'v2c', 'SNMP v2c community'],
    [{ kind: 'snmp-community', version: '1' }, 'v1', 'SNMP v1 community'],
    [
      {
        kind: 'snmp-v3',
        version: '3',
        username: 'ops',
        securityLevel: 'authPriv',
        authProtocol: 'sha256',
        privProtocol: 'aes',
      },
      'v3',
      'user ops, authPriv, SHA-256 and AES-128',
    ],
    [{ kind: 'snmp-v3', username: 'mon', securityLevel: 'noAuthNoPriv' }, 'v3', 'user mon, noAuthNoPriv'],
    [{ kind: 'cwmp', username: 'acs' }, '—', 'CWMP user acs'],
  ])('%j', (patch, version, summary) => {
    const c = cred(patch);
    expect(versionLabel(c)).toBe(version);
    expect(credentialSummary(c)).toBe(summary);
  });
});

describe('credentialUsage', () => {
  const a = device('aaaaaaaa-0000-4000-8000-000000000001', C1, null);
  // Both profiles on one credential: one device, counted once.
  const b = device('bbbbbbbb-0000-4000-8000-000000000002', C1.toUpperCase(), C1);
  const c = device('cccccccc-0000-4000-8000-000000000003', null, C2);
  const none = device('dddddddd-0000-4000-8000-000000000004', null, null);
  const poll = { id: 'p', name: 'uptime', params: { oids: [], credentialId: C2 } } as unknown as ScheduleDto;
  const plain = { id: 'q', name: 'walk', params: { oid: '1.3' } } as unknown as ScheduleDto;

  it('finds the devices and polls of each credential, ids compared without case', () => {
    const usage = credentialUsage([a, b, c, none], [poll, plain]);
    expect(usageOf(usage, C1).devices).toEqual([a, b]);
    expect(usageOf(usage, C1).polls).toEqual([]);
    expect(usageOf(usage, C2.toUpperCase())).toEqual({ devices: [c], polls: [poll] });
    expect(usageOf(usage, '99999999-9999-4999-8999-999999999999')).toEqual({ devices: [], polls: [] });
  });

  it.each<[number, number, string]>([
    [0, 0, 'Nothing'],
    [1, 0, '1 device'],
    [2, 1, '2 devices, 1 poll'],
    [0, 3, '3 polls'],
  ])('%i devices and %i polls: %s', (devices, polls, text) => {
    const u = {
      devices: Array.from({ length: devices }, () => none),
      polls: Array.from({ length: polls }, () => poll),
    };
    expect(usageText(u)).toBe(text);
  });
});
