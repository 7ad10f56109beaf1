import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnmpAccess } from '@drm/protocol';
import { SnmpSession } from '../../../src/drivers/snmp/session.js';
import { encodeOid, Tag } from '../../../src/drivers/snmp/wire/ber.js';
import { encodeV3Request, type PageRequest, parseV3Message } from '../../../src/drivers/snmp/wire/message.js';
import { cipherAvailable } from '../../../src/drivers/snmp/wire/usm.js';
import {
  SIM_BINARY_OID,
  SIM_SLOW_ROOT,
  SIM_USER,
  SIM_USERS,
  type SimUser,
  type SnmpSimulator,
  startSnmpSimulator,
} from '../../helpers/snmp-simulator.js';

/**
 * Walks through the own message layer against net-snmp's Agent: every SNMPv3 protocol, wrong
 * keys, timeouts, aborts, and datagrams that must be ignored. `walkStats` shows which layer
 * read each page, so a silent fall back to net-snmp fails these tests.
 */

const IF_TABLE = '1.3.6.1.2.1.2.2';
const timing = { timeoutMs: 400, retries: 0 };

let sim: SnmpSimulator;
const sessions: SnmpSession[] = [];
const sockets: dgram.Socket[] = [];

function open(access: SnmpAccess, port = sim.port, t = timing): SnmpSession {
  const session = new SnmpSession({ host: '127.0.0.1', access: { ...access, port } }, t);
  sessions.push(session);
  return session;
}

function v3(user: SimUser, keys: Partial<Pick<SimUser, 'authKey' | 'privKey'>> = {}): SnmpAccess {
  return {
    version: '3',
    port: 0,
    username: user.name,
    securityLevel: user.securityLevel,
    ...(user.authProtocol ? { authProtocol: user.authProtocol, authKey: keys.authKey ?? user.authKey } : {}),
    ...(user.privProtocol ? { privProtocol: user.privProtocol, privKey: keys.privKey ?? user.privKey } : {}),
  };
}

const v2c = (): SnmpAccess => ({ version: '2c', port: 0, community: 'public' });

/**
 * An SNMPv3 message anyone could send: no authentication, `pdu` of type `type` naming `oid`,
 * with the msgID of `request` (what an eavesdropper or a guess gives a forger).
 */
function forgedV3(request: Buffer, type: number, oid: string, engineId: Buffer, boots = 0, time = 0): Buffer {
  const { msgId } = parseV3Message(request);
  const name = Buffer.from(SIM_USER.name);
  return encodeV3Request(
    {
      msgId,
      flags: 0,
      engineId,
      boots,
      time,
      userName: name,
      contextEngineId: engineId,
      contextName: Buffer.alloc(0),
      security: undefined,
    },
    // The request encoder writes whatever PDU tag it is given; a forger's PDU is a Report or Response.
    { type: type as PageRequest['type'], requestId: msgId, oid: encodeOid(oid), maxRepetitions: 0 },
  );
}
const walkAll = (session: SnmpSession, root = '1.3.6.1', maxRepetitions = 10) =>
  session.walk(root, { method: 'bulk', maxRepetitions, maxVarbinds: 100_000 });

async function udpSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

interface Relay {
  port: number;
  /** Datagrams sent to the client before each real response. */
  before: (response: Buffer, request: Buffer) => Buffer[];
  /** Datagrams sent to the client from a third address before each real response. */
  stranger: (response: Buffer) => Buffer[];
}

/** A UDP relay in front of the simulator that can put other datagrams before each response. */
async function relay(): Promise<Relay> {
  const front = await udpSocket();
  const back = await udpSocket();
  const other = await udpSocket();
  const state: Relay = { port: front.address().port, before: () => [], stranger: () => [] };
  let client: dgram.RemoteInfo | undefined;
  let lastRequest = Buffer.alloc(0);
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    lastRequest = msg;
    back.send(msg, sim.port, '127.0.0.1');
  });
  back.on('message', (msg) => {
    if (!client) return;
    for (const junk of state.stranger(msg)) other.send(junk, client.port, client.address);
    for (const junk of state.before(msg, lastRequest)) front.send(junk, client.port, client.address);
    front.send(msg, client.port, client.address);
  });
  return state;
}

beforeAll(async () => {
  sim = await startSnmpSimulator({ slowMs: 40 });
});

afterAll(async () => {
  for (const s of sessions) s.close();
  for (const s of sockets) s.close();
  await sim?.close();
});

describe('walks through the own message layer', () => {
  it('walks v2c and v1 with every page its own', async () => {
    const reference = await walkAll(open(v2c()));
    expect(reference.stop).toBe('end');
    for (const access of [v2c(), { version: '1', port: 0, community: 'public' } as const]) {
      const session = open(access);
      const result = await walkAll(session);
      expect(result.stop).toBe('end');
      expect(session.walkStats.pages).toBe(result.pages);
      expect(session.walkStats.fallbacks).toBe(0);
      expect(result.varbinds.at(-1)?.oid).toBe(SIM_BINARY_OID);
    }
  });

  const usable = SIM_USERS.filter((u) => !u.privProtocol || cipherAvailable(u.privProtocol));
  it.each(usable.map((u) => [u.name, u] as const))(
    'walks SNMPv3 as %s, cold, like v2c',
    async (_name, user) => {
      const expected = await walkAll(open(v2c()), IF_TABLE);
      const session = open(v3(user));
      const result = await walkAll(session, IF_TABLE);
      expect(result.stop).toBe('end');
      expect(result.varbinds).toEqual(expected.varbinds);
      expect(session.walkStats).toMatchObject({ pages: result.pages, fallbacks: 0 });
      // Warm: the engine is known and the keys localised.
      expect((await walkAll(session, IF_TABLE)).varbinds).toEqual(expected.varbinds);
    },
  );

  it('leaves a walk to net-snmp when this Node lacks the cipher, which reports it', async () => {
    const des = SIM_USERS.find((u) => u.privProtocol === 'des')!;
    const session = open(v3(des));
    const result = await walkAll(session, IF_TABLE);
    if (cipherAvailable('des')) {
      expect(result.stop).toBe('end');
      expect(session.walkStats.fallbacks).toBe(0);
    } else {
      expect(result).toMatchObject({ stop: 'error', error: { code: 'not-supported' } });
      expect(session.walkStats.pages).toBe(0);
      expect(session.walkStats.fallbacks).toBeGreaterThan(0);
    }
  });

  it.each([
    ['a wrong authKey', { authKey: 'not-the-auth-key' }],
    ['a wrong privKey', { privKey: 'not-the-priv-key' }],
  ])('reports a v3 walk with %s as auth', async (_name, keys) => {
    const user: SimUser = { ...SIM_USER, securityLevel: 'authPriv' };
    const session = open(v3(user, keys));
    const result = await walkAll(session, IF_TABLE);
    expect(result).toMatchObject({ stop: 'error', error: { code: 'auth' }, varbinds: [] });
    expect(session.walkStats.fallbacks).toBe(0);
  });

  it('reports a silent port as a timeout after the configured attempts', async () => {
    const silent = await udpSocket();
    let received = 0;
    silent.on('message', () => {
      received += 1;
    });
    const session = open(v2c(), silent.address().port, { timeoutMs: 150, retries: 2 });
    const start = performance.now();
    const result = await walkAll(session);
    const elapsed = performance.now() - start;
    expect(result).toMatchObject({ stop: 'error', error: { code: 'timeout' } });
    expect(result.error?.message).toContain('after 3 attempts');
    expect(received).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(440);
    expect(elapsed).toBeLessThan(2000);
  });

  it('stops a walk at once when aborted mid-walk', async () => {
    const session = open(v2c());
    const controller = new AbortController();
    let pages = 0;
    let abortedAt = 0;
    const result = await session.walk(SIM_SLOW_ROOT, {
      method: 'next',
      maxRepetitions: 10,
      maxVarbinds: 1000,
      signal: controller.signal,
      onProgress: (p) => {
        pages = p.pages;
        if (pages === 3) {
          abortedAt = performance.now();
          controller.abort();
        }
      },
    });
    expect(performance.now() - abortedAt).toBeLessThan(30);
    expect(result).toMatchObject({ stop: 'aborted', error: { code: 'cancelled' } });
    expect(result.varbinds).toHaveLength(3);
    // The session goes on serving walks; the abandoned response is ignored when it comes.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await walkAll(session, IF_TABLE)).stop).toBe('end');
  });

  it('rejects walks once the session is closed', async () => {
    const session = open(v2c());
    await walkAll(session, IF_TABLE);
    session.close();
    expect(await walkAll(session, IF_TABLE)).toMatchObject({ stop: 'error', error: { code: 'cancelled' } });
  });

  it('ignores garbage, stale and forged datagrams, from the device and from anyone else', async () => {
    const expected = await walkAll(open(v2c()), IF_TABLE);
    const r = await relay();
    let previous: Buffer = Buffer.alloc(0);
    r.stranger = (response) => [Buffer.from('not snmp'), Buffer.alloc(0), response.subarray(0, 20)];
    r.before = (response) => {
      const junk = [Buffer.from([0x30, 0x82, 0xff]), previous, response.subarray(0, response.length - 1)];
      previous = response;
      return junk.filter((b) => b.length > 0);
    };
    const session = open(v2c(), r.port);
    const result = await walkAll(session, IF_TABLE);
    expect(result.varbinds).toEqual(expected.varbinds);
    expect(session.walkStats).toMatchObject({ pages: result.pages, fallbacks: 0 });
    expect(session.walkStats.dropped).toBeGreaterThanOrEqual(result.pages * 5);
  });

  it('hands a response it does not read as net-snmp would to net-snmp, which reads the same', async () => {
    const expected = await walkAll(open(v2c()), IF_TABLE);
    const r = await relay();
    // net-snmp reads varbinds on to the end of the datagram; this layer leaves such a one to it.
    r.before = (response) => [Buffer.concat([response, Buffer.of(0)])];
    const session = open(v2c(), r.port);
    const result = await walkAll(session, IF_TABLE);
    expect(result.varbinds).toEqual(expected.varbinds);
    expect(session.walkStats).toMatchObject({ pages: 0, fallbacks: result.pages });
  });

  it('takes no engine time from a notInTimeWindow report that does not authenticate', async () => {
    const expected = await walkAll(open(v2c()), IF_TABLE);
    const r = await relay();
    r.before = (response, request) => {
      const { engineId } = parseV3Message(response);
      // usmStatsNotInTimeWindows.0, with a time far from the engine's.
      return [forgedV3(request, Tag.Report, '1.3.6.1.6.3.15.1.1.2.0', engineId, 99, 1_000_000)];
    };
    const session = open(v3({ ...SIM_USER, securityLevel: 'authPriv' }), r.port);
    const result = await walkAll(session, IF_TABLE);
    expect(result.stop).toBe('end');
    expect(result.varbinds).toEqual(expected.varbinds);
    expect(session.walkStats).toMatchObject({ fallbacks: 0, resyncs: 0 });
    expect(session.walkStats.dropped).toBeGreaterThanOrEqual(result.pages);
  });

  it('is not turned off by a forged answer to its discovery', async () => {
    const r = await relay();
    r.before = (response, request) =>
      parseV3Message(request).engineId.length === 0
        ? [forgedV3(request, Tag.Response, IF_TABLE, parseV3Message(response).engineId)]
        : [];
    const session = open(v3({ ...SIM_USER, securityLevel: 'authPriv' }), r.port);
    const result = await walkAll(session, IF_TABLE);
    expect(result.stop).toBe('end');
    expect(session.walkStats).toMatchObject({ pages: result.pages, fallbacks: 0 });
    expect(session.walkStats.dropped).toBeGreaterThanOrEqual(1);
  });

  it('ignores SNMPv3 datagrams that do not authenticate, and walks on', async () => {
    const expected = await walkAll(open(v2c()), IF_TABLE);
    const r = await relay();
    r.before = (response) => {
      const forged = Buffer.from(response);
      forged[forged.length - 3] = forged[forged.length - 3]! ^ 0x55;
      return [forged];
    };
    r.stranger = (response) => [Buffer.from(response)];
    const session = open(v3({ ...SIM_USER, securityLevel: 'authPriv' }), r.port);
    const result = await walkAll(session, IF_TABLE);
    expect(result.stop).toBe('end');
    expect(result.varbinds).toEqual(expected.varbinds);
    expect(session.walkStats.fallbacks).toBe(0);
    // Each page: one forged copy, and one replayed copy that arrives after its request ended.
    expect(session.walkStats.dropped).toBeGreaterThanOrEqual(result.pages);
  });
});
