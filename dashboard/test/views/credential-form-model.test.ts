import { describe, expect, it } from 'vitest';
import { Credential, CredentialCreate, CredentialUpdate, type Device, type ScheduleDto } from '@drm/protocol';
import { ApiError } from '../../src/api/errors.js';
import {
  buildCredentialCreate,
  buildCredentialUpdate,
  type CredentialFormModel,
  credentialFormFrom,
  deleteRefusal,
  emptyCredentialForm,
  isEmptyUpdate,
  refusedBy,
} from '../../src/views/credentials/credential-form-model.js';

const C = '33333333-3333-4333-8333-333333333333';
const D = '22222222-2222-4222-8222-222222222222';
const S = '55555555-5555-4555-8555-555555555555';
const AT = '2025-03-01T12:00:00.000Z';

function stored(patch: Record<string, unknown>): Credential {
  return Credential.parse({ id: C, name: 'core', createdAt: AT, updatedAt: AT, ...patch });
}

const V3 = stored({
  kind: 'snmp-v3',
  version: '3',
  username: 'ops',
  securityLevel: 'authPriv',
  authProtocol: 'sha256',
  privProtocol: 'aes',
});

function form(patch: Partial<CredentialFormModel>): CredentialFormModel {
  return { ...emptyCredentialForm(), name: 'core', ...patch };
}

describe('buildCredentialCreate', () => {
  it.each<[string, Partial<CredentialFormModel>, CredentialCreate]>([
    [
      'a v2c community',
      { kind: 'snmp-community', community: 'n0t-public' },
      { kind: 'snmp-community', name: 'core', version: '2c', community: 'n0t-public' },
    ],
    [
      'a v1 community',
      { kind: 'snmp-community', version: '1', community: 'c' },
      { kind: 'snmp-community', name: 'core', version: '1', community: 'c' },
    ],
    [
      'an SNMPv3 user with authentication and privacy',
      {
        kind: 'snmp-v3',
        username: 'ops',
        securityLevel: 'authPriv',
        authProtocol: 'sha512',
        authKey: 'auth-secret',
        privProtocol: 'aes256b',
        privKey: 'priv-secret',
      },
      {
        kind: 'snmp-v3',
        name: 'core',
        username: 'ops',
        securityLevel: 'authPriv',
        authProtocol: 'sha512',
        authKey: 'auth-secret',
        privProtocol: 'aes256b',
        privKey: 'priv-secret',
      },
    ],
    [
      'an SNMPv3 user without privacy: a privacy key typed before the level changed is not sent',
      {
        kind: 'snmp-v3',
        username: 'ops',
        securityLevel: 'authNoPriv',
        authKey: 'auth-secret',
        privKey: 'stale-key',
      },
      {
        kind: 'snmp-v3',
        name: 'core',
        username: 'ops',
        securityLevel: 'authNoPriv',
        authProtocol: 'sha256',
        authKey: 'auth-secret',
      },
    ],
    [
      'a CWMP login',
      { kind: 'cwmp', username: 'acs', password: 'pw', community: 'left from another kind' },
      { kind: 'cwmp', name: 'core', username: 'acs', password: 'pw' },
    ],
  ])('%s', (_, patch, expected) => {
    const { body, errors } = buildCredentialCreate(form(patch));
    expect(errors).toEqual(new Map());
    expect(body).toEqual(expected);
    expect(CredentialCreate.parse(body)).toEqual(expected);
  });

  it.each<[string, Partial<CredentialFormModel>, [string, string][]]>([
    ['no name', { name: '  ', community: 'c' }, [['name', 'Give the credential a name']]],
    ['no community', { community: '' }, [['community', 'Enter the community']]],
    [
      'SNMPv3 without user or keys',
      { kind: 'snmp-v3', username: '' },
      [
        ['username', 'Enter the user name'],
        ['authKey', 'Enter the auth key (at least 8 characters)'],
        ['privKey', 'Enter the privacy key (at least 8 characters)'],
      ],
    ],
    [
      'keys shorter than RFC 3414 allows',
      { kind: 'snmp-v3', username: 'ops', authKey: 'short', privKey: '1234567' },
      [
        ['authKey', 'At least 8 characters (RFC 3414 section 11.2)'],
        ['privKey', 'At least 8 characters (RFC 3414 section 11.2)'],
      ],
    ],
    ['CWMP without a password', { kind: 'cwmp', username: 'acs' }, [['password', 'Enter the password']]],
  ])('refuses %s, in words, by field', (_, patch, expected) => {
    const { body, errors } = buildCredentialCreate(form(patch));
    expect(body).toBeNull();
    for (const [field, message] of expected) expect(errors.get(field)).toBe(message);
  });
});

describe('credentialFormFrom', () => {
  it('fills in what the credential is and leaves every secret empty', () => {
    const m = credentialFormFrom(V3);
    expect(m).toMatchObject({
      mode: 'existing',
      credentialId: C,
      kind: 'snmp-v3',
      name: 'core',
      username: 'ops',
      securityLevel: 'authPriv',
      authProtocol: 'sha256',
      privProtocol: 'aes',
    });
    expect([m.community, m.authKey, m.privKey, m.password]).toEqual(['', '', '', '']);
  });

  it('reads a community credential’s version', () => {
    const v1 = stored({ kind: 'snmp-community', version: '1' });
    expect(credentialFormFrom(v1).version).toBe('1');
  });
});

describe('buildCredentialUpdate', () => {
  it('a new name alone leaves every secret out, so the hub keeps them', () => {
    const { body, errors } = buildCredentialUpdate({ ...credentialFormFrom(V3), name: 'core-renamed' }, V3);
    expect(errors).toEqual(new Map());
    expect(body).toEqual({ kind: 'snmp-v3', name: 'core-renamed' });
    expect(CredentialUpdate.parse(body)).toEqual(body);
  });

  it('the form as loaded changes nothing', () => {
    const { body } = buildCredentialUpdate(credentialFormFrom(V3), V3);
    expect(body).toEqual({ kind: 'snmp-v3' });
    expect(isEmptyUpdate(body!)).toBe(true);
  });

  it('a typed key replaces that key only', () => {
    const { body } = buildCredentialUpdate({ ...credentialFormFrom(V3), privKey: 'new-priv-key' }, V3);
    expect(body).toEqual({ kind: 'snmp-v3', privKey: 'new-priv-key' });
    expect(isEmptyUpdate(body!)).toBe(false);
  });

  it('another auth protocol goes with the level and the protocols it needs, keys kept', () => {
    const { body } = buildCredentialUpdate({ ...credentialFormFrom(V3), authProtocol: 'sha512' }, V3);
    expect(body).toEqual({
      kind: 'snmp-v3',
      securityLevel: 'authPriv',
      authProtocol: 'sha512',
      privProtocol: 'aes',
    });
    expect(CredentialUpdate.safeParse(body).success).toBe(true);
  });

  it('a lower level drops the protocols it no longer uses', () => {
    const { body } = buildCredentialUpdate({ ...credentialFormFrom(V3), securityLevel: 'authNoPriv' }, V3);
    expect(body).toEqual({ kind: 'snmp-v3', securityLevel: 'authNoPriv', authProtocol: 'sha256' });
    expect(CredentialUpdate.safeParse(body).success).toBe(true);
  });

  it('a level that adds privacy needs a privacy key: there is none stored to keep', () => {
    const authOnly = stored({ ...V3, securityLevel: 'authNoPriv', privProtocol: undefined });
    const m = { ...credentialFormFrom(authOnly), securityLevel: 'authPriv' as const };
    const { body, errors } = buildCredentialUpdate(m, authOnly);
    expect(body).toBeNull();
    expect(errors.get('privKey')).toBe('Enter a privacy key: this credential had none until now');
    expect(errors.has('authKey')).toBe(false);
    const typed = buildCredentialUpdate({ ...m, privKey: 'priv-secret' }, authOnly);
    expect(typed.body).toEqual({
      kind: 'snmp-v3',
      securityLevel: 'authPriv',
      authProtocol: 'sha256',
      privProtocol: 'aes',
      privKey: 'priv-secret',
    });
  });

  it.each<[string, Credential, Partial<CredentialFormModel>, CredentialUpdate]>([
    [
      'a community: version and a new community',
      stored({ kind: 'snmp-community', version: '2c' }),
      { version: '1', community: 'rotated' },
      { kind: 'snmp-community', version: '1', community: 'rotated' },
    ],
    [
      'a community: the same version is not sent',
      stored({ kind: 'snmp-community', version: '2c' }),
      { name: 'edge' },
      { kind: 'snmp-community', name: 'edge' },
    ],
    [
      'a CWMP login: user name, password kept',
      stored({ kind: 'cwmp', username: 'acs' }),
      { username: 'acs2' },
      { kind: 'cwmp', username: 'acs2' },
    ],
  ])('%s', (_, credential, patch, expected) => {
    const { body, errors } = buildCredentialUpdate(
      { ...credentialFormFrom(credential), ...patch },
      credential,
    );
    expect(errors).toEqual(new Map());
    expect(body).toEqual(expected);
  });

  it('an emptied name or user name is refused in words', () => {
    const { body, errors } = buildCredentialUpdate({ ...credentialFormFrom(V3), name: '', username: '' }, V3);
    expect(body).toBeNull();
    expect(errors.get('name')).toBe('Give the credential a name');
    expect(errors.get('username')).toBe('Enter the user name');
  });
});

describe('deleteRefusal', () => {
  it('reads what the hub says still uses the credential', () => {
    const err = new ApiError(409, 'CONFLICT', 'Credential "core" is still used by device(s) "sw"', {
      deviceIds: [D.toUpperCase()],
      scheduleIds: [S],
    });
    const refusal = deleteRefusal(err)!;
    expect(refusal).toEqual({
      message: 'Credential "core" is still used by device(s) "sw"',
      deviceIds: [D.toUpperCase()],
      scheduleIds: [S],
    });
    const device = { id: D, name: 'sw' } as Device;
    const other = { id: C, name: 'other' } as Device;
    const poll = { id: S, name: 'uptime' } as ScheduleDto;
    expect(refusedBy(refusal, [device, other], [poll])).toEqual({ devices: [device], polls: [poll] });
  });

  it('is null for other errors, which the page shows as usual', () => {
    expect(deleteRefusal(new ApiError(404, 'NOT_FOUND', 'Credential not found'))).toBeNull();
    expect(deleteRefusal(new Error('boom'))).toBeNull();
  });

  it('copes with a 409 without details', () => {
    expect(deleteRefusal(new ApiError(409, 'CONFLICT', 'in use'))).toEqual({
      message: 'in use',
      deviceIds: [],
      scheduleIds: [],
    });
  });
});
