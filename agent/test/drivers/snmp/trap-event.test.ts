import { randomUUID } from 'node:crypto';
import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { type DeviceAccess, encodeMessage, messageFor, TrapEvent, uuidv7 } from '@drm/protocol';
import { TrapDeviceIndex, trapAuthorization } from '../../../src/drivers/snmp/trap-access.js';
import {
  notificationVersion,
  type RawNotification,
  sourceAddress,
  toTrapEvent,
  v1TrapOid,
} from '../../../src/drivers/snmp/trap-event.js';

const { ObjectType, PduType } = snmp;
const ctx = () => ({ id: uuidv7(), receivedAt: '2025-03-01T12:00:00.000Z' });
const rinfo = { address: '192.0.2.1', port: 50162 };
const upTime = (value: number) => ({ oid: '1.3.6.1.2.1.1.3.0', type: ObjectType.TimeTicks, value });
const trapOid = (value: string) => ({ oid: '1.3.6.1.6.3.1.1.4.1.0', type: ObjectType.OID, value });

describe('v1TrapOid (RFC 3584 section 3.1)', () => {
  it.each([
    [0, 0, '1.3.6.1.6.3.1.1.5.1'], // coldStart
    [1, 0, '1.3.6.1.6.3.1.1.5.2'], // warmStart
    [2, 0, '1.3.6.1.6.3.1.1.5.3'], // linkDown
    [3, 0, '1.3.6.1.6.3.1.1.5.4'], // linkUp
    [4, 0, '1.3.6.1.6.3.1.1.5.5'], // authenticationFailure
    [5, 0, '1.3.6.1.6.3.1.1.5.6'], // egpNeighborLoss
    [6, 42, '1.3.6.1.4.1.8072.4.0.42'], // enterpriseSpecific
  ])('generic %i specific %i → %s', (generic, specific, expected) => {
    expect(v1TrapOid('.1.3.6.1.4.1.8072.4', generic, specific)).toBe(expected);
  });
});

describe('notification decoding', () => {
  it.each([
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0:0:0:0:0:1', '2001:db8::1'],
    ['::ffff:c000:0207', '192.0.2.7'],
    ['192.0.2.7', '192.0.2.7'],
    ['Switch-1.example.net', 'switch-1.example.net'],
  ])('source address %s → %s', (raw, expected) => {
    expect(sourceAddress(raw)).toBe(expected);
  });

  it.each([
    [{ type: PduType.Trap, varbinds: [] }, '1'],
    [{ type: PduType.TrapV2, varbinds: [] }, '2c'],
    [{ type: PduType.InformRequest, varbinds: [] }, '2c'],
    [{ type: PduType.TrapV2, varbinds: [], scoped: true }, '3'],
  ])('version of %j is %s', (pdu, version) => {
    expect(notificationVersion(pdu)).toBe(version);
  });

  it('lifts sysUpTime.0 and snmpTrapOID.0 out of the varbinds and never copies the community', () => {
    const n: RawNotification = {
      pdu: {
        type: PduType.TrapV2,
        community: 'secret-community',
        varbinds: [
          upTime(123),
          trapOid('1.3.6.1.6.3.1.1.5.3'),
          { oid: '1.3.6.1.2.1.2.2.1.1.3', type: ObjectType.Integer, value: 3 },
          { oid: '1.3.6.1.4.1.99.1', type: ObjectType.OctetString, value: Buffer.from([0, 1, 0xfe]) },
        ],
      },
      rinfo: { address: '::ffff:192.0.2.1', port: 162 },
    };
    const out = toTrapEvent(n, ctx());
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.event).toMatchObject({
      version: '2c',
      pdu: 'trap',
      trapOid: '1.3.6.1.6.3.1.1.5.3',
      uptime: 123,
    });
    expect(out.event.source).toEqual({ address: '192.0.2.1', port: 162 });
    expect(out.event.varbinds).toEqual([
      { oid: '1.3.6.1.2.1.2.2.1.1.3', name: 'IF-MIB::ifIndex.3', type: 'Integer', value: 3 },
      {
        oid: '1.3.6.1.4.1.99.1',
        name: 'SNMPv2-SMI::enterprises.99.1',
        type: 'OctetString',
        value: '0001fe',
        encoding: 'hex',
      },
    ]);
    expect(JSON.stringify(out.event)).not.toContain('secret-community');
  });

  it('finds snmpTrapOID.0 out of place, and goes without sysUpTime.0', () => {
    const n: RawNotification = {
      pdu: {
        type: PduType.InformRequest,
        varbinds: [
          { oid: '1.3.6.1.2.1.1.5.0', type: ObjectType.OctetString, value: 'x' },
          trapOid('1.3.6.1.4.1.9.0.1'),
        ],
      },
      rinfo,
    };
    const out = toTrapEvent(n, ctx());
    expect(out).toMatchObject({ ok: true, event: { pdu: 'inform', trapOid: '1.3.6.1.4.1.9.0.1' } });
    if (out.ok) {
      expect(out.event.uptime).toBeUndefined();
      expect(out.event.varbinds.map((v) => v.oid)).toEqual(['1.3.6.1.2.1.1.5.0']);
    }
  });

  it.each<[string, RawNotification['pdu'], RegExp]>([
    ['no snmpTrapOID.0', { type: PduType.TrapV2, varbinds: [upTime(1)] }, /no snmpTrapOID\.0/],
    [
      'a generic-trap outside 0..6',
      {
        type: PduType.Trap,
        enterprise: '1.3.6.1.4.1.9',
        agentAddr: '192.0.2.1',
        generic: 9,
        specific: 0,
        upTime: 1,
        varbinds: [],
      },
      /genericTrap/,
    ],
    ['a GetRequest', { type: PduType.GetRequest, varbinds: [] }, /not a notification/],
    [
      'a trap OID that is not one',
      {
        type: PduType.TrapV2,
        varbinds: [{ oid: '1.3.6.1.6.3.1.1.4.1.0', type: ObjectType.OID, value: '9.9' }],
      },
      /trapOid/,
    ],
  ])('refuses a notification with %s', (_what, pdu, problem) => {
    const out = toTrapEvent({ pdu, rinfo }, ctx());
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.problem).toMatch(problem);
  });

  it('keeps the first 1000 varbinds of a bigger notification and counts the rest', () => {
    const pdu = {
      type: PduType.TrapV2,
      varbinds: [
        trapOid('1.3.6.1.6.3.1.1.5.1'),
        ...Array.from({ length: 1001 }, () => ({
          oid: '1.3.6.1.2.1.1.5.0',
          type: ObjectType.Null,
          value: null,
        })),
      ],
    };
    const out = toTrapEvent({ pdu, rinfo }, ctx());
    expect(out.ok).toBe(true);
    if (out.ok) {
      expect(out.event.varbinds).toHaveLength(1000);
      expect(out.event.omittedVarbinds).toBe(1);
    }
  });

  it('leaves out a varbind the protocol cannot carry, and keeps the others', () => {
    const longOid = Array.from({ length: 132 }, (_, i) => String(i + 1)).join('.');
    const pdu = {
      type: PduType.InformRequest,
      varbinds: [
        trapOid('1.3.6.1.4.1.9.0.1'),
        { oid: '1.3.6.1.2.1.1.5.0', type: ObjectType.OctetString, value: Buffer.from('edge') },
        { oid: '1.3.6.1.2.1.1.2.0', type: ObjectType.OID, value: longOid },
      ],
    };
    const out = toTrapEvent({ pdu, rinfo }, ctx());
    expect(out).toMatchObject({ ok: true, event: { omittedVarbinds: 1 } });
    if (out.ok) expect(out.event.varbinds.map((v) => v.value)).toEqual(['edge']);
  });

  it('cuts varbinds from the end until the event fits one message', () => {
    // 400 varbinds under enterprises with OIDs of ~120 arcs and their values: ~1 MB of JSON.
    const arcs = Array.from({ length: 115 }, (_, i) => String(1000 + i)).join('.');
    const pdu = {
      type: PduType.TrapV2,
      varbinds: [
        trapOid('1.3.6.1.4.1.9.0.1'),
        ...Array.from({ length: 400 }, (_, i) => ({
          oid: `1.3.6.1.4.1.${arcs}.${i}`,
          type: ObjectType.OctetString,
          value: Buffer.from('x'.repeat(1500)),
        })),
      ],
    };
    const out = toTrapEvent({ pdu, rinfo }, ctx());
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const { event } = out;
    expect(event.varbinds.length).toBeGreaterThan(0);
    expect(event.varbinds.length + (event.omittedVarbinds ?? 0)).toBe(400);
    expect(event.omittedVarbinds).toBeGreaterThan(0);
    const sent = encodeMessage(messageFor('events', event));
    expect(sent.fits).toBe(true);
    // It keeps as many as fit: one more would not.
    const next = pdu.varbinds[event.varbinds.length + 1]!;
    expect(
      sent.bytes + JSON.stringify({ oid: next.oid, type: 'OctetString', value: 'x'.repeat(1500) }).length,
    ).toBeGreaterThan(sent.limit);
    expect(TrapEvent.safeParse(event).success).toBe(true);
  });

  it('fits one message whatever the sizes, the count of left out varbinds included', () => {
    const longOid = Array.from({ length: 132 }, (_, i) => String(i + 1)).join('.');
    for (let pad = 0; pad < 400; pad += 1) {
      const pdu = {
        type: PduType.TrapV2,
        varbinds: [
          trapOid('1.3.6.1.4.1.9.0.1'),
          { oid: '1.3.6.1.2.1.1.2.0', type: ObjectType.OID, value: longOid },
          ...Array.from({ length: 900 }, (_, i) => ({
            oid: `1.3.6.1.4.1.9.9.${i}`,
            type: ObjectType.OctetString,
            value: Buffer.from('v'.repeat(260 + (i === 0 ? pad : 0))),
          })),
        ],
      };
      const out = toTrapEvent({ pdu, rinfo }, ctx());
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.event.varbinds.length + (out.event.omittedVarbinds ?? 0)).toBe(901);
      expect(encodeMessage(messageFor('events', out.event)).fits).toBe(true);
    }
  });

  it('keeps a v3 security name and a device id', () => {
    const deviceId = randomUUID();
    const out = toTrapEvent(
      {
        pdu: { type: PduType.TrapV2, scoped: true, user: 'ops', varbinds: [trapOid('1.3.6.1.6.3.1.1.5.1')] },
        rinfo,
      },
      { ...ctx(), deviceId },
    );
    expect(out).toMatchObject({ ok: true, event: { version: '3', securityName: 'ops', deviceId } });
  });
});

describe('trap authorization and device matching', () => {
  const v2 = (address: string, community: string): DeviceAccess => ({
    deviceId: randomUUID(),
    address,
    snmp: { version: '2c', port: 161, community },
  });
  const v3 = (address: string, username: string, authKey = 'auth-key-1'): DeviceAccess => ({
    deviceId: randomUUID(),
    address,
    snmp: {
      version: '3',
      port: 161,
      username,
      securityLevel: 'authPriv',
      authProtocol: 'sha256',
      authKey,
      privProtocol: 'aes',
      privKey: 'priv-key-1',
    },
  });

  it('lists communities once, users once per name, and names the conflicts', () => {
    const devices = [
      v2('192.0.2.1', 'a'),
      v2('192.0.2.2', 'a'),
      v3('192.0.2.3', 'ops'),
      v3('192.0.2.4', 'ops', 'other-key'),
    ];
    const auth = trapAuthorization(devices, ['extra', 'a']);
    expect(auth.communities.sort()).toEqual(['a', 'extra']);
    expect(auth.users).toEqual([
      {
        name: 'ops',
        level: snmp.SecurityLevel.authPriv,
        authProtocol: snmp.AuthProtocols.sha256,
        authKey: 'auth-key-1',
        privProtocol: snmp.PrivProtocols.aes,
        privKey: 'priv-key-1',
      },
    ]);
    expect(auth.conflicts).toEqual(['ops']);
    expect(trapAuthorization([{ deviceId: randomUUID(), address: '192.0.2.9' }], []).communities).toEqual([]);
  });

  it('matches an IPv6 device however its address is spelled', () => {
    const index = new TrapDeviceIndex([
      {
        deviceId: 'dev-v6',
        address: '2001:0DB8:0:0:0:0:0:1',
        snmp: { version: '2c', port: 161, community: 'c' },
      },
    ] as DeviceAccess[]);
    expect(index.match('2001:db8::1', { community: 'c' })).toBe('dev-v6');
    expect(index.match('2001:db8::2', { community: 'c' })).toBeUndefined();
  });

  it('matches by address, then by credentials among devices sharing it', () => {
    const [one, east, west, user] = [
      v2('192.0.2.1', 'a'),
      v2('192.0.2.2', 'east'),
      v2('192.0.2.2', 'west'),
      v3('192.0.2.2', 'ops'),
    ];
    const index = new TrapDeviceIndex([one!, east!, west!, user!]);
    expect(index.match('192.0.2.1', { community: 'anything' })).toBe(one!.deviceId);
    expect(index.match('::ffff:192.0.2.1', {})).toBe(one!.deviceId);
    expect(index.match('192.0.2.2', { community: 'west' })).toBe(west!.deviceId);
    expect(index.match('192.0.2.2', { user: 'ops' })).toBe(user!.deviceId);
    expect(index.match('192.0.2.2', { community: 'extra' })).toBeUndefined();
    expect(index.match('192.0.2.99', { community: 'a' })).toBeUndefined();
  });
});
