import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import snmp from 'net-snmp';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINE_ID_META_KEY, TrapReceiver } from '../../src/components/trap-receiver.js';
import {
  config,
  DEV,
  devices,
  HC_OCTETS,
  IF_INDEX_2,
  inform,
  LINK_DOWN,
  LINK_UP,
  TrapHarness,
  trap,
  V3,
  V3_USER,
  v2Device,
  v3Device,
} from '../helpers/trap-harness.js';
import { cleanupDirs } from '../store/fixtures.js';

let h: TrapHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  cleanupDirs();
});

describe('trap receiver with net-snmp senders', () => {
  it('turns an SNMPv1 trap into an event with its RFC 3584 trap OID and v1 fields', async () => {
    h = await TrapHarness.start();
    const s = h.community('v1-secret', 1, '127.0.0.2');
    await trap(s, '1.3.6.1.4.1.8072.9.7', [HC_OCTETS], { agentAddr: '192.0.2.50', upTime: 4242 });
    await trap(s, snmp.TrapType.LinkDown, [IF_INDEX_2]);
    const [specific, generic] = await h.queued(2);
    expect(specific).toMatchObject({
      version: '1',
      pdu: 'trapv1',
      trapOid: '1.3.6.1.4.1.8072.9.0.7',
      enterprise: '1.3.6.1.4.1.8072.9',
      agentAddress: '192.0.2.50',
      genericTrap: 6,
      specificTrap: 7,
      uptime: 4242,
      source: { address: '127.0.0.2' },
      deviceId: DEV.v1,
      varbinds: [
        {
          oid: HC_OCTETS.oid,
          name: 'IF-MIB::ifHCInOctets.2',
          type: 'Counter64',
          value: '18446744073709551615',
        },
      ],
    });
    expect(generic).toMatchObject({ trapOid: LINK_DOWN, genericTrap: 2, specificTrap: 0 });
    expect(generic!.varbinds).toEqual([
      { oid: IF_INDEX_2.oid, name: 'IF-MIB::ifIndex.2', type: 'Integer', value: 2 },
    ]);
    expect(h.wakes).toBe(2);
    expect(h.receiver.stats.queued).toBe(2);
  });

  it('takes SNMPv2c traps and informs, and acknowledges the inform', async () => {
    h = await TrapHarness.start();
    const s = h.community('trap-public');
    await trap(s, LINK_DOWN, [IF_INDEX_2, HC_OCTETS]);
    const echoed = await inform(s, LINK_UP, [IF_INDEX_2]);
    expect(echoed.length).toBeGreaterThan(0); // the receiver's GetResponse-PDU
    const [t, i] = await h.queued(2);
    expect(t).toMatchObject({ version: '2c', pdu: 'trap', trapOid: LINK_DOWN, deviceId: DEV.v2 });
    expect(t!.uptime).toEqual(expect.any(Number));
    // sysUpTime.0 and snmpTrapOID.0 become fields; the rest are the notification's varbinds.
    expect(t!.varbinds.map((v) => [v.oid, v.value])).toEqual([
      [IF_INDEX_2.oid, 2],
      [HC_OCTETS.oid, '18446744073709551615'],
    ]);
    expect(i).toMatchObject({ version: '2c', pdu: 'inform', trapOid: LINK_UP, deviceId: DEV.v2 });
    expect(JSON.stringify([t, i])).not.toContain('trap-public');
    expect(t!.id < i!.id).toBe(true); // UUIDv7s in arrival order
  });

  it('takes SNMPv3 authPriv (SHA/AES) traps and informs from a device user', async () => {
    h = await TrapHarness.start();
    const s = h.v3();
    await trap(s, LINK_DOWN, [IF_INDEX_2]);
    await inform(s, LINK_UP, [HC_OCTETS]);
    const [t, i] = await h.queued(2);
    expect(t).toMatchObject({ version: '3', pdu: 'trap', securityName: V3.name, deviceId: DEV.v3 });
    expect(i).toMatchObject({ version: '3', pdu: 'inform', trapOid: LINK_UP, securityName: V3.name });
    expect(i!.varbinds).toEqual([
      expect.objectContaining({ type: 'Counter64', value: '18446744073709551615' }),
    ]);
  });
});

describe('trap receiver refusals', () => {
  it('drops and counts unknown communities and users and failed authentication, never logging a secret', async () => {
    h = await TrapHarness.start();
    await trap(h.community('wrong-community'), LINK_DOWN);
    await expect(inform(h.community('wrong-community'), LINK_UP)).rejects.toThrow(/timed out/i);
    const stranger = { ...V3_USER, name: 'stranger' };
    await trap(h.v3(stranger), LINK_DOWN);
    await expect(inform(h.v3(stranger), LINK_UP)).rejects.toThrow(/unknown user/i);
    const badKey = { ...V3_USER, authKey: 'not-the-auth-key' };
    await trap(h.v3(badKey), LINK_DOWN);
    const noPriv = {
      name: V3.name,
      level: snmp.SecurityLevel.authNoPriv,
      authProtocol: snmp.AuthProtocols.sha,
      authKey: V3.authKey,
    };
    await trap(h.v3(noPriv), LINK_DOWN);
    await h.dropped('unknown-community', 2);
    await h.dropped('unknown-user', 2);
    await h.dropped('auth', 2);
    // Each refusal counted once: the unknown user's inform only through the report it was sent.
    expect(h.receiver.stats.dropped).toEqual({
      'unknown-community': 2,
      'unknown-user': 2,
      auth: 2,
      malformed: 0,
      unsupported: 0,
      replayed: 0,
      invalid: 0,
      store: 0,
    });
    expect(h.store.events.stats().count).toBe(0);
    expect(h.wakes).toBe(0);
    const drops = h.logs.filter((l) => l.msg === 'notification dropped');
    expect(drops.length).toBeGreaterThanOrEqual(6);
    expect(drops[0]).toMatchObject({
      level: 20,
      reason: 'unknown-community',
      source: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    const text = JSON.stringify(h.logs);
    for (const secret of [
      'wrong-community',
      'trap-public',
      'v1-secret',
      'site-wide',
      V3.authKey,
      V3.privKey,
      'not-the-auth-key',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('accepts the configured extra communities', async () => {
    h = await TrapHarness.start({ communities: ['site-wide'] });
    await trap(h.community('site-wide', 2, '127.0.0.5'), LINK_DOWN);
    const [e] = await h.queued(1);
    expect(e).toMatchObject({ source: { address: '127.0.0.5' }, trapOid: LINK_DOWN });
    expect(e!.deviceId).toBeUndefined();
  });
});

/** Minimal BER, to put on the wire what no well-behaved sender would. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), content]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const int = (n: number) => tlv(0x02, Buffer.from([n]));
const str = (s: string) => tlv(0x04, Buffer.from(s));
function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}
const varbind = (o: string, value: Buffer) => seq(oid(o), value);
const NULL = Buffer.from([0x05, 0x00]);
/** An SNMPv2c message with one PDU of `tag`. */
const v2cMessage = (communityName: string, tag: number, varbinds: Buffer[]) =>
  seq(int(1), str(communityName), tlv(tag, Buffer.concat([int(7), int(0), int(0), seq(...varbinds)])));

/**
 * An inform whose Counter64 is cut short: net-snmp 3.29.2 decodes it, then throws a TypeError
 * while encoding the GetResponse-PDU that echoes it, inside its socket handler.
 */
const INFORM_NET_SNMP_CANNOT_ECHO = Buffer.from(
  '306702010104067075626c6963a65a020403786093020100020100304c300d06082b060102010103004301423017060a2b06010603010104010006092b0601060301010504300f06082b0601020101050004036162633011060b2b060102011f0101010601465300ff',
  'hex',
);

/** A plain UDP socket that sends datagrams as given to the receiver's port. */
function rawSender(port: number): { udp: dgram.Socket; send: (b: Buffer) => Promise<void> } {
  const udp = dgram.createSocket('udp4');
  const send = (b: Buffer) =>
    new Promise<void>((resolve, reject) =>
      udp.send(b, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  return { udp, send };
}

describe('trap receiver and bad datagrams', () => {
  it('counts and drops garbage, non-notifications and invalid notifications, and keeps receiving', async () => {
    h = await TrapHarness.start({ communities: ['public'] });
    const { send, udp } = rawSender(h.receiver.port);
    try {
      await send(Buffer.from('definitely not BER'));
      await send(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x09]));
      await send(Buffer.alloc(0));
      await send(INFORM_NET_SNMP_CANNOT_ECHO);
      await h.dropped('malformed', 4);
      // A GetRequest is not a notification.
      await send(v2cMessage('public', 0xa0, [varbind('1.3.6.1.2.1.1.5.0', NULL)]));
      await h.dropped('unsupported', 1);
      // A trap without snmpTrapOID.0.
      await send(v2cMessage('public', 0xa7, [varbind('1.3.6.1.2.1.1.3.0', tlv(0x43, Buffer.from([5])))]));
      await h.dropped('invalid', 1);
      expect(h.logs.find((l) => l.reason === 'invalid')).toMatchObject({
        detail: 'no snmpTrapOID.0 varbind',
      });
      // One with more varbinds than an event may carry arrives with the first 1000.
      const many = Array.from({ length: 1001 }, () => varbind('1.3.6.1.2.1.1.5.0', NULL));
      await send(v2cMessage('public', 0xa7, [varbind('1.3.6.1.6.3.1.1.4.1.0', oid(LINK_DOWN)), ...many]));
      // A hand-built trap with the header only still makes an event.
      await send(v2cMessage('public', 0xa7, [varbind('1.3.6.1.6.3.1.1.4.1.0', oid(LINK_DOWN))]));
      await trap(h.community('trap-public'), LINK_UP);
      const events = await h.queued(3);
      expect(events.map((e) => e.trapOid)).toEqual([LINK_DOWN, LINK_DOWN, LINK_UP]);
      expect(events[0]).toMatchObject({ omittedVarbinds: 1 });
      expect(events[0]!.varbinds).toHaveLength(1000);
      expect(events[1]!.uptime).toBeUndefined();
      expect(h.receiver.stats.dropped).toMatchObject({ malformed: 4, unsupported: 1, invalid: 1, store: 0 });
    } finally {
      udp.close();
    }
  });
});

describe('trap receiver and truncated datagrams', () => {
  it('drops every cut of a notification as malformed, and reads the whole one', async () => {
    h = await TrapHarness.start({ communities: ['public'] });
    const { send, udp } = rawSender(h.receiver.port);
    try {
      const whole = v2cMessage('public', 0xa7, [
        varbind('1.3.6.1.6.3.1.1.4.1.0', oid(LINK_DOWN)),
        varbind('1.3.6.1.2.1.1.5.0', str('hello-world-switch')),
      ]);
      // net-snmp read such cuts as a trap with varbinds missing or the string emptied.
      for (let n = 1; n < whole.length; n++) await send(whole.subarray(0, n));
      // And the whole message with a byte too many inside its varbind's value.
      const lying = Buffer.from(whole);
      lying[lying.length - 'hello-world-switch'.length - 1] = 'hello-world-switch'.length + 1;
      await send(lying);
      await h.dropped('malformed', whole.length);
      await send(whole);
      const [event] = await h.queued(1);
      expect(event!.varbinds.map((v) => [v.oid, v.value])).toEqual([
        ['1.3.6.1.2.1.1.5.0', 'hello-world-switch'],
      ]);
      expect(h.receiver.stats.dropped).toMatchObject({ malformed: whole.length, invalid: 0 });
    } finally {
      udp.close();
    }
  });
});

describe('trap receiver and replayed SNMPv3 notifications', () => {
  it('stores an authenticated v3 trap once, however often its datagram is played back', async () => {
    h = await TrapHarness.start();
    // The sender's datagram, caught on its way.
    const capture = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => capture.bind(0, '127.0.0.1', resolve));
    const caught = new Promise<Buffer>((resolve) => capture.once('message', (msg) => resolve(msg)));
    const sender = snmp.createV3Session('127.0.0.1', V3_USER, {
      trapPort: capture.address().port,
      version: snmp.Version3,
      sourceAddress: '127.0.0.3',
      timeout: 1000,
      retries: 0,
    });
    const replayer = dgram.createSocket('udp4');
    try {
      await trap(sender, LINK_DOWN);
      const datagram = await caught;
      await new Promise<void>((resolve) => replayer.bind(0, '127.0.0.3', resolve));
      const send = () =>
        new Promise<void>((resolve, reject) =>
          replayer.send(datagram, h!.receiver.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
        );
      await send();
      await h.queued(1);
      await send();
      await send();
      await h.dropped('replayed', 2);
      expect(await h.queued(1)).toHaveLength(1);
      // A new trap of the same sender is not a replay.
      await trap(h.v3(), LINK_DOWN);
      await h.queued(2);
      expect(h.receiver.stats.dropped).toMatchObject({ replayed: 2, auth: 0 });
    } finally {
      sender.close();
      capture.close();
      replayer.close();
    }
  });
});

describe('trap receiver device matching and reload', () => {
  it('matches the device by source address, then by the credentials of devices sharing it', async () => {
    h = await TrapHarness.start();
    await trap(h.community('east', 2, '127.0.0.4'), LINK_DOWN);
    await trap(h.community('west', 2, '127.0.0.4'), LINK_DOWN);
    await trap(h.community('site-wide', 2, '127.0.0.4'), LINK_DOWN);
    await trap(h.community('v1-secret', 1, '127.0.0.1'), snmp.TrapType.ColdStart);
    await trap(h.community('named-community', 2, '127.0.0.9'), LINK_DOWN);
    const events = await h.queued(5);
    expect(events.map((e) => e.deviceId)).toEqual([DEV.east, DEV.west, undefined, DEV.v2, undefined]);
    expect(events[3]).toMatchObject({ version: '1', trapOid: '1.3.6.1.6.3.1.1.5.1' });
  });

  it('takes new communities and users on reload, and drops removed ones, on the same socket', async () => {
    h = await TrapHarness.start();
    const port = h.receiver.port;
    const late = { ...V3_USER, name: 'lateuser' };
    await trap(h.community('late', 2, '127.0.0.6'), LINK_DOWN);
    await trap(h.v3(late, '127.0.0.7'), LINK_DOWN);
    await h.dropped('unknown-community', 1);
    await h.dropped('unknown-user', 1);

    const lateDevice = randomUUID();
    const lateV3 = randomUUID();
    const more = [v2Device(lateDevice, '127.0.0.6', 'late'), v3Device(lateV3, '127.0.0.7', 'lateuser')];
    h.store.desired.put(config([...devices(), ...more], 2));
    h.receiver.reload();
    expect(h.receiver.port).toBe(port);
    await trap(h.community('late', 2, '127.0.0.6'), LINK_DOWN);
    await inform(h.v3(late, '127.0.0.7'), LINK_UP);
    const events = await h.queued(2);
    expect(events.map((e) => [e.deviceId, e.securityName])).toEqual([
      [lateDevice, undefined],
      [lateV3, 'lateuser'],
    ]);

    h.store.desired.put(
      config(
        devices().filter((d) => d.deviceId !== DEV.v2),
        3,
      ),
    );
    h.receiver.reload();
    await trap(h.community('trap-public'), LINK_DOWN);
    await h.dropped('unknown-community', 2);
    expect(h.store.events.stats().count).toBe(2);
  });
});

describe('trap receiver lifecycle', () => {
  it('keeps queued events and its SNMP engine id across a restart and a store reopen', async () => {
    h = await TrapHarness.start();
    await trap(h.community('trap-public'), LINK_DOWN);
    await inform(h.v3(), LINK_UP);
    const before = await h.queued(2);
    const engineId = h.store.meta.get(ENGINE_ID_META_KEY);
    expect(engineId).toMatch(/^8000b98380[0-9a-f]{24}$/);
    await h.receiver.stop();
    await h.receiver.stop(); // idempotent
    await h.close();

    h = await TrapHarness.start({ dir: h.dir });
    expect(h.store.events.peek(10)).toEqual(before);
    expect(h.store.meta.get(ENGINE_ID_META_KEY)).toBe(engineId);
    await inform(h.v3(), LINK_UP);
    expect(await h.queued(3)).toHaveLength(3);
  });

  it('fails to start with a clear error when the port is taken', async () => {
    h = await TrapHarness.start();
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      const second = new TrapReceiver({
        store: h.store,
        log: pino({ enabled: false }),
        port: taken.address().port,
        host: '127.0.0.1',
        onEvent: () => {},
      });
      await expect(second.start()).rejects.toThrow(
        `trap receiver cannot listen on UDP 127.0.0.1:${taken.address().port}: EADDRINUSE`,
      );
      expect(second.port).toBe(0);
      await second.stop();
    } finally {
      taken.close();
    }
  });
});
