import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as protocol from '../src/index.js';
import {
  Credential,
  CredentialCreate,
  CredentialUpdate,
  DeviceQuery,
  JobCreate,
  PageQuery,
  SampleQuery,
  SnmpProfile,
  effectiveSnmpOptions,
  isTerminalStatus,
  pageOf,
} from '../src/index.js';

const schemas = Object.entries(protocol).filter(([, value]) => value instanceof z.ZodType);

describe('exported schemas', () => {
  // The hub derives its OpenAPI document from these; a schema JSON Schema cannot express breaks /docs.
  it.each(schemas)('%s converts to JSON Schema', (_name, schema) => {
    expect(() => z.toJSONSchema(schema as z.ZodType, { io: 'input' })).not.toThrow();
    expect(() => z.toJSONSchema(schema as z.ZodType, { io: 'output' })).not.toThrow();
  });
});

describe('REST DTOs', () => {
  it('coerces paging from query strings', () => {
    expect(PageQuery.parse({})).toEqual({ limit: 50 });
    expect(PageQuery.parse({ limit: '200', cursor: 'abc' })).toEqual({ limit: 200, cursor: 'abc' });
    expect(PageQuery.safeParse({ limit: '201' }).success).toBe(false);
    expect(PageQuery.safeParse({ limit: '0' }).success).toBe(false);
    expect(DeviceQuery.parse({ q: 'sw', limit: '5' })).toEqual({ q: 'sw', limit: 5 });
  });

  it('builds page schemas', () => {
    const page = pageOf(z.object({ id: z.string() }));
    expect(page.parse({ items: [{ id: 'a' }], nextCursor: null })).toEqual({
      items: [{ id: 'a' }],
      nextCursor: null,
    });
  });

  it('orders sample ranges', () => {
    const base = { deviceId: '7908c7b9-74da-4d74-b2d7-fba9c52b5d2a', oid: '1.3.6.1.2.1.1.3.0' };
    expect(
      SampleQuery.safeParse({ ...base, from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' }).success,
    ).toBe(true);
    expect(
      SampleQuery.safeParse({ ...base, from: '2025-03-02T00:00:00Z', to: '2025-03-01T00:00:00Z' }).success,
    ).toBe(false);
  });

  it('never exposes credential secrets in the public view', () => {
    const keys = Object.keys(Credential.shape);
    for (const secret of ['community', 'authKey', 'privKey', 'password']) expect(keys).not.toContain(secret);
    const parsed = Credential.parse({
      id: '38cde438-6d86-4fe6-b8c9-78ae1a8b156d',
      name: 'x',
      kind: 'snmp-community',
      community: 'public',
      createdAt: '2025-03-01T12:00:00Z',
      updatedAt: '2025-03-01T12:00:00Z',
    });
    expect(parsed).not.toHaveProperty('community');
  });

  const v3 = { kind: 'snmp-v3', name: 'm', username: 'm' } as const;
  it.each([
    [{ securityLevel: 'noAuthNoPriv' }, true],
    [{ securityLevel: 'noAuthNoPriv', authProtocol: 'sha' }, false],
    [{ securityLevel: 'authNoPriv', authProtocol: 'sha', authKey: '12345678' }, true],
    [{ securityLevel: 'authNoPriv', authProtocol: 'sha' }, false],
    [{ securityLevel: 'authNoPriv', authKey: '12345678' }, false],
    [
      {
        securityLevel: 'authPriv',
        authProtocol: 'md5',
        authKey: '12345678',
        privProtocol: 'des',
        privKey: '12345678',
      },
      true,
    ],
    [{ securityLevel: 'authPriv', authProtocol: 'md5', authKey: '12345678', privProtocol: 'des' }, false],
    [{ securityLevel: 'authPriv', authProtocol: 'md5', authKey: '12345678', privKey: '12345678' }, false],
  ])('checks SNMPv3 create %j → %s', (fields, ok) => {
    expect(CredentialCreate.safeParse({ ...v3, ...fields }).success).toBe(ok);
  });

  it('lets an update keep stored keys but not drop protocols', () => {
    expect(CredentialUpdate.safeParse({ kind: 'snmp-v3', name: 'renamed' }).success).toBe(true);
    expect(
      CredentialUpdate.safeParse({
        kind: 'snmp-v3',
        securityLevel: 'authPriv',
        authProtocol: 'sha',
        privProtocol: 'aes',
      }).success,
    ).toBe(true);
    expect(CredentialUpdate.safeParse({ kind: 'snmp-v3', securityLevel: 'authPriv' }).success).toBe(false);
  });

  it('applies job defaults and keeps kind beside params', () => {
    const job = JobCreate.parse({
      kind: 'snmp.walk',
      targets: ['7908c7b9-74da-4d74-b2d7-fba9c52b5d2a'],
      params: { oid: '.1.3.6.1.2.1.2' },
    });
    expect(job).toEqual({
      kind: 'snmp.walk',
      targets: ['7908c7b9-74da-4d74-b2d7-fba9c52b5d2a'],
      params: { oid: '1.3.6.1.2.1.2', method: 'bulk', maxVarbinds: 100_000, targetBudgetMs: 30_000 },
    });
  });

  it('resolves SNMP options job first, then device profile, then defaults', () => {
    const profile = SnmpProfile.parse({ timeoutMs: 5000 });
    expect(profile).toMatchObject({ version: '2c', port: 161, retries: 1, maxRepetitions: 25 });
    expect(
      effectiveSnmpOptions({ retries: 3 }, { version: '2c', port: 161, community: 'c', timeoutMs: 5000 }),
    ).toEqual({ timeoutMs: 5000, retries: 3, maxRepetitions: 25 });
  });

  it.each([
    ['queued', false],
    ['dispatched', false],
    ['running', false],
    ['succeeded', true],
    ['failed', true],
    ['partial', true],
    ['cancelled', true],
    ['expired', true],
  ] as const)('%s is terminal: %s', (status, terminal) => {
    expect(isTerminalStatus(status)).toBe(terminal);
  });
});
