import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SetVarbind, type SnmpAccess } from '@drm/protocol';
import { SnmpError } from '../../../src/drivers/snmp/errors.js';
import { SnmpSession } from '../../../src/drivers/snmp/session.js';
import {
  SIM_BINARY_BYTES,
  SIM_BINARY_OID,
  SIM_ENTERPRISE,
  SIM_GOLDEN,
  SIM_USER,
  SIM_WRITABLE,
  type SnmpSimulator,
  startSnmpSimulator,
} from '../../helpers/snmp-simulator.js';

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';
const IF_TABLE = '1.3.6.1.2.1.2.2';
const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
const IF_IN_OCTETS = '1.3.6.1.2.1.2.2.1.10';
const IF_HC_IN_OCTETS = '1.3.6.1.2.1.31.1.1.1.6';
const timing = { timeoutMs: 500, retries: 0 };

let sim: SnmpSimulator;
const sessions: SnmpSession[] = [];

function open(access: Partial<SnmpAccess> & Pick<SnmpAccess, 'version'>): SnmpSession {
  const full = { port: sim.port, ...access } as SnmpAccess;
  const session = new SnmpSession({ host: sim.host, access: full }, timing);
  sessions.push(session);
  return session;
}

const v2c = (community = 'public') => open({ version: '2c', community });
const v3 = (keys: { authKey?: string; privKey?: string; username?: string } = {}) =>
  open({
    version: '3',
    username: keys.username ?? SIM_USER.name,
    securityLevel: 'authPriv',
    authProtocol: SIM_USER.authProtocol,
    authKey: keys.authKey ?? SIM_USER.authKey,
    privProtocol: SIM_USER.privProtocol,
    privKey: keys.privKey ?? SIM_USER.privKey,
  });

async function failure(promise: Promise<unknown>): Promise<SnmpError['result']> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SnmpError);
  return (err as SnmpError).result;
}

beforeAll(async () => {
  sim = await startSnmpSimulator();
});

afterAll(async () => {
  for (const s of sessions) s.close();
  await sim?.close();
});

describe('SnmpSession against the net-snmp simulator', () => {
  it('gets scalars', async () => {
    const vbs = await v2c().get([SYS_DESCR, '1.3.6.1.2.1.1.3.0', SYS_NAME]);
    expect(vbs).toEqual([
      { oid: SYS_DESCR, type: 'OctetString', value: SIM_GOLDEN.sysDescr },
      { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: SIM_GOLDEN.sysUpTime },
      { oid: SYS_NAME, type: 'OctetString', value: SIM_GOLDEN.sysName },
    ]);
  });

  it('reaches a device given by host name as well as by address', async () => {
    const access = { version: '2c', port: sim.port, community: 'public' } as const;
    const session = new SnmpSession({ host: 'localhost', access }, timing);
    sessions.push(session);
    const [vb] = await session.get([SYS_NAME]);
    expect(vb).toEqual({ oid: SYS_NAME, type: 'OctetString', value: SIM_GOLDEN.sysName });
  });

  it('gets the next OID', async () => {
    expect(await v2c().getNext([SYS_DESCR])).toEqual([
      { oid: SYS_OBJECT_ID, type: 'ObjectIdentifier', value: SIM_GOLDEN.sysObjectID },
    ]);
  });

  it('gets in bulk, non-repeaters first, then repetitions in wire order', async () => {
    // net-snmp's Agent caps the whole response at max-repetitions varbinds (RFC 3416 section
    // 4.2.3 allows N + M * R): 5 here gives one non-repeater and two rows of two columns.
    const vbs = await v2c().getBulk([SYS_DESCR, IF_DESCR, IF_IN_OCTETS], 1, 5);
    expect(vbs.map((vb) => [vb.oid, vb.value])).toEqual([
      [SYS_OBJECT_ID, SIM_GOLDEN.sysObjectID],
      [`${IF_DESCR}.1`, 'lo'],
      [`${IF_IN_OCTETS}.1`, SIM_GOLDEN.ifInOctets[0]],
      [`${IF_DESCR}.2`, 'eth0'],
      [`${IF_IN_OCTETS}.2`, SIM_GOLDEN.ifInOctets[1]],
    ]);
  });

  it.each(['bulk', 'next'] as const)('walks the ifTable with %s and stops at its end', async (method) => {
    const result = await v2c().walk(IF_TABLE, { method, maxRepetitions: 10, maxVarbinds: 1000 });
    expect(result.stop).toBe('end');
    expect(result.varbinds).toHaveLength(22 * 3);
    expect(result.varbinds.every((vb) => vb.oid.startsWith(`${IF_TABLE}.`))).toBe(true);
    expect(result.varbinds.slice(0, 4).map((vb) => vb.oid)).toEqual([
      `${IF_TABLE}.1.1.1`,
      `${IF_TABLE}.1.1.2`,
      `${IF_TABLE}.1.1.3`,
      `${IF_TABLE}.1.2.1`,
    ]);
    expect(result.varbinds.filter((vb) => vb.oid.startsWith(`${IF_DESCR}.`)).map((vb) => vb.value)).toEqual(
      SIM_GOLDEN.ifDescr,
    );
    expect(result.pages).toBe(method === 'bulk' ? 7 : 67);
  });

  it('gives the same walk with GetBulk and GetNext', async () => {
    const session = v2c();
    const bulk = await session.walk('1.3.6.1', { method: 'bulk', maxRepetitions: 25, maxVarbinds: 10_000 });
    const next = await session.walk('1.3.6.1', { method: 'next', maxRepetitions: 25, maxVarbinds: 10_000 });
    expect(bulk.stop).toBe('end');
    expect(bulk.varbinds.length).toBeGreaterThan(100);
    expect(next.varbinds).toEqual(bulk.varbinds);
    expect(bulk.varbinds.at(-1)?.oid).toBe(SIM_BINARY_OID);
  });

  it('names the varbinds of a walk when given a resolver, and only then', async () => {
    const session = v2c();
    const plain = await session.walk(IF_TABLE, { method: 'bulk', maxRepetitions: 5, maxVarbinds: 1_000 });
    const named = await session.walk(IF_TABLE, {
      method: 'bulk',
      maxRepetitions: 5,
      maxVarbinds: 1_000,
      names: (oid) =>
        oid.startsWith(`${IF_DESCR}.`) ? `ifDescr.${oid.slice(IF_DESCR.length + 1)}` : undefined,
    });
    expect(plain.varbinds.some((vb) => vb.name !== undefined)).toBe(false);
    expect(named.varbinds.map(({ name: _, ...vb }) => vb)).toEqual(plain.varbinds);
    expect(named.varbinds.filter((vb) => vb.name).map((vb) => vb.name)).toEqual(
      SIM_GOLDEN.ifDescr.map((_, i) => `ifDescr.${i + 1}`),
    );
  });

  it('walks with GetNext on SNMPv1, ending at noSuchName past the last OID', async () => {
    const result = await open({ version: '1', community: 'public' }).walk(`${SIM_ENTERPRISE}.3`, {
      method: 'bulk',
      maxRepetitions: 25,
      maxVarbinds: 100,
    });
    expect(result).toMatchObject({ stop: 'end', varbinds: [{ oid: SIM_BINARY_OID }] });
  });

  it('refuses GetBulk on SNMPv1', async () => {
    const result = await failure(open({ version: '1', community: 'public' }).getBulk([SYS_DESCR], 0, 5));
    expect(result.code).toBe('not-supported');
  });

  it('reads Counter64 values as exact decimal strings', async () => {
    const vbs = await v2c().get([1, 2, 3].map((i) => `${IF_HC_IN_OCTETS}.${i}`));
    expect(vbs.map((vb) => [vb.type, vb.value])).toEqual(
      SIM_GOLDEN.ifHCInOctets.map((v) => ['Counter64', v]),
    );
  });

  it('reads binary OctetStrings as hex', async () => {
    const vbs = await v2c().get([SIM_BINARY_OID, '1.3.6.1.2.1.2.2.1.6.2']);
    expect(vbs).toEqual([
      { oid: SIM_BINARY_OID, type: 'OctetString', value: SIM_BINARY_BYTES.toString('hex'), encoding: 'hex' },
      {
        oid: '1.3.6.1.2.1.2.2.1.6.2',
        type: 'OctetString',
        value: SIM_GOLDEN.ifPhysAddress[1],
        encoding: 'hex',
      },
    ]);
  });

  it('returns noSuchObject, noSuchInstance and endOfMibView as data', async () => {
    const session = v2c();
    const got = await session.get([`${SIM_ENTERPRISE}.7.0`, '1.3.6.1.2.1.1.1.1', SYS_NAME]);
    expect(got.map((vb) => vb.error)).toEqual(['noSuchObject', 'noSuchInstance', undefined]);
    expect(got[0]).toEqual({
      oid: `${SIM_ENTERPRISE}.7.0`,
      type: 'Null',
      value: null,
      error: 'noSuchObject',
    });
    const next = await session.getNext([SIM_BINARY_OID]);
    expect(next).toEqual([{ oid: SIM_BINARY_OID, type: 'Null', value: null, error: 'endOfMibView' }]);
  });

  it('sets a value of every type and reads it back', async () => {
    const writes = [
      { oid: SIM_WRITABLE.Integer, type: 'Integer', value: -42 },
      { oid: SIM_WRITABLE.OctetString, type: 'OctetString', value: 'set by the driver ✓' },
      { oid: SIM_WRITABLE.ObjectIdentifier, type: 'ObjectIdentifier', value: '1.3.6.1.4.1.99999.42' },
      { oid: SIM_WRITABLE.IpAddress, type: 'IpAddress', value: '198.51.100.254' },
      { oid: SIM_WRITABLE.Counter32, type: 'Counter32', value: 4_000_000_000 },
      { oid: SIM_WRITABLE.Gauge32, type: 'Gauge32', value: 4_294_967_295 },
      { oid: SIM_WRITABLE.TimeTicks, type: 'TimeTicks', value: 8_640_000 },
      { oid: SIM_WRITABLE.Counter64, type: 'Counter64', value: '18446744073709551615' },
      { oid: SIM_WRITABLE.Opaque, type: 'Opaque', value: '9f780441a3d70a' },
    ].map((vb) => SetVarbind.parse(vb));
    const session = v2c('private');
    const echoed = await session.set(writes);
    expect(echoed.map((vb) => vb.error)).toEqual(writes.map(() => undefined));
    const back = await session.get(writes.map((vb) => vb.oid));
    expect(back.map(({ oid, type, value }) => ({ oid, type, value }))).toEqual(writes);
  });

  it('sets an OctetString given as hex and reads back its bytes', async () => {
    const session = v2c('private');
    const bytes = '00017f0a41';
    await session.set([
      SetVarbind.parse({ oid: SIM_WRITABLE.OctetString, type: 'OctetString', value: bytes, encoding: 'hex' }),
    ]);
    expect(await session.get([SIM_WRITABLE.OctetString])).toEqual([
      { oid: SIM_WRITABLE.OctetString, type: 'OctetString', value: bytes, encoding: 'hex' },
    ]);
  });

  it('sends Null, which the agent refuses with wrongType naming its varbind', async () => {
    const result = await failure(
      v2c('private').set([
        SetVarbind.parse({ oid: SIM_WRITABLE.Counter32, type: 'Counter32', value: 1 }),
        SetVarbind.parse({ oid: SIM_WRITABLE.Integer, type: 'Null', value: null }),
      ]),
    );
    expect(result).toMatchObject({ code: 'snmp-error', snmpStatus: 'wrongType', snmpIndex: 2 });
  });

  it('reports a SET with the read community as an access error, not a crash', async () => {
    const result = await failure(
      v2c('public').set([SetVarbind.parse({ oid: SYS_NAME, type: 'OctetString', value: 'x' })]),
    );
    expect(result.code).toBe('snmp-error');
    expect(['noAccess', 'notWritable', 'authorizationError']).toContain(result.snmpStatus);
    expect(result.snmpIndex).toBe(1);
    expect(sim.mib.getScalarValue('sysName')).toBe(SIM_GOLDEN.sysName);
  });

  it('gets over SNMPv3 authPriv (SHA/AES)', async () => {
    expect(await v3().get([SYS_NAME])).toEqual([
      { oid: SYS_NAME, type: 'OctetString', value: SIM_GOLDEN.sysName },
    ]);
  });

  it.each([
    ['a wrong authKey', { authKey: 'not-the-auth-key' }],
    ['a wrong privKey', { privKey: 'not-the-priv-key' }],
    ['an unknown user', { username: 'intruder' }],
  ])('reports SNMPv3 with %s as auth', async (_name, keys) => {
    const result = await failure(v3(keys).get([SYS_NAME]));
    expect(result.code).toBe('auth');
  });

  it('rejects at once when the signal aborts, and refuses requests once closed', async () => {
    const session = v2c();
    const controller = new AbortController();
    const pending = session.get([`${SIM_ENTERPRISE}.2.1.0`], { signal: controller.signal });
    controller.abort();
    expect((await failure(pending)).code).toBe('cancelled');
    session.close();
    expect((await failure(session.get([SYS_DESCR]))).code).toBe('cancelled');
  });
});
