import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import snmp from 'net-snmp';
import type { TrapAuthorization } from './trap-access.js';
import type { RawNotification } from './trap-event.js';
import { Malformed, Tlv } from './wire/ber.js';
import { Flags, parseV3Message } from './wire/message.js';

/** Why a datagram did not become a notification. */
export type TrapRejectReason =
  /** v1/v2c community not in the authorization list. */
  | 'unknown-community'
  /** v3 user name not in the authorization list. */
  | 'unknown-user'
  /** v3 digest or decryption failed, or a lower security level than the user's. */
  | 'auth'
  /** Not a decodable SNMP message. */
  | 'malformed'
  /** A well-formed message that is not a notification (a Get, a Set...). */
  | 'unsupported'
  /** An authenticated SNMPv3 message received before, byte for byte: a replay. */
  | 'replayed';

export interface TrapRejection {
  reason: TrapRejectReason;
  source?: { address: string; port: number } | undefined;
  /** Safe to log: never a community or a key. */
  detail?: string | undefined;
}

export interface TrapListenerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** SNMPv3 snmpEngineID as hex: the receiver is authoritative for informs (RFC 3414 section 3.2). */
  engineId: string;
  onNotification: (notification: RawNotification) => void;
  onRejected: (rejection: TrapRejection) => void;
  /** A socket error outside any datagram (rare for UDP once bound). */
  onSocketError: (err: Error) => void;
}

interface Rinfo {
  address: string;
  port: number;
}

interface NetSnmpError extends Error {
  rinfo?: Rinfo;
  code?: number;
  error?: unknown;
}

/** net-snmp internals this wrapper reaches into (not in @types/net-snmp). */
interface ReceiverInternals {
  getAuthorizer(): {
    getCommunities(): string[];
    addCommunity(c: string): void;
    deleteCommunity(c: string): void;
    getUsers(): snmp.User[];
    addUser(u: snmp.User): void;
    deleteUser(name: string): void;
  };
  close(callback?: () => void): void;
  listener: {
    send(message: { pdu?: { type?: number; varbinds?: { oid: string }[] } }, ...rest: unknown[]): void;
  };
}

/** RFC 3414 section 5 usmStats counters named by the report a receiver sends back. */
const REPORT_REASONS: ReadonlyMap<string, TrapRejectReason> = new Map([
  ['1.3.6.1.6.3.15.1.1.1.0', 'auth'], // usmStatsUnsupportedSecLevels
  ['1.3.6.1.6.3.15.1.1.3.0', 'unknown-user'], // usmStatsUnknownUserNames
  ['1.3.6.1.6.3.15.1.1.5.0', 'auth'], // usmStatsWrongDigests
]);

/** A fresh snmpEngineID in the format net-snmp makes its own: enterprise 47491, 12 random octets. */
export function newEngineId(): string {
  return `8000b98380${randomBytes(12).toString('hex')}`;
}

function classify(err: NetSnmpError): TrapRejection {
  const source = err.rinfo ? { address: err.rinfo.address, port: err.rinfo.port } : undefined;
  // Messages of community and key failures quote the community or the digests: never pass them on.
  switch (err.name) {
    case 'RequestFailedError':
      if (err.message.startsWith('Local community not found')) return { reason: 'unknown-community', source };
      if (err.message.startsWith('Local user not found')) return { reason: 'unknown-user', source };
      return { reason: 'auth', source, detail: 'security level lower than the user requires' };
    case 'ResponseInvalidError':
      if (err.code === snmp.ResponseInvalidCode.EAuthFailure) {
        return { reason: 'auth', source, detail: 'wrong digest' };
      }
      if (err.code === snmp.ResponseInvalidCode.ECouldNotDecrypt) {
        return { reason: 'auth', source, detail: 'cannot decrypt' };
      }
      return { reason: 'malformed', source, detail: snmp.ResponseInvalidCode[err.code ?? 0] };
    case 'RequestInvalidError':
      return { reason: 'unsupported', source, detail: err.message.slice(0, 200) };
    default: {
      const inner = err.error instanceof Error ? err.error.message : err.message;
      return { reason: 'malformed', source, detail: inner.slice(0, 200) };
    }
  }
}

async function bindSocket(host: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.bind(port, host, () => {
      socket.off('error', fail);
      resolve();
    });
  });
  return socket;
}

/**
 * net-snmp's notification receiver on a UDP socket this wrapper binds itself: net-snmp reads a
 * port of 0 as "unset" and would bind 162, so the receiver is handed the bound socket through
 * its `dgramModule` option. It answers informs (with the GetResponse-PDU of RFC 3416 section
 * 4.2.7) and SNMPv3 discovery itself. Every datagram's handling is guarded: nothing a sender
 * puts on the wire can throw out of the socket's event handler.
 */
export class TrapListener {
  readonly #socket: dgram.Socket;
  readonly #receiver: ReceiverInternals;
  #closed: Promise<void> | null = null;

  private constructor(socket: dgram.Socket, receiver: ReceiverInternals) {
    this.#socket = socket;
    this.#receiver = receiver;
  }

  static async open(options: TrapListenerOptions): Promise<TrapListener> {
    const socket = await bindSocket(options.host, options.port);
    const { port } = socket.address();
    // The socket is bound already; net-snmp's own bind call must not bind it twice.
    socket.bind = (() => socket) as typeof socket.bind;
    const replays = new ReplayGuard();
    const onMessage = (err: NetSnmpError | null, data?: unknown) => {
      if (!err) {
        // net-snmp calls back while it handles the datagram: `current` is this message's.
        const notification = data as RawNotification;
        if (replays.accept()) options.onNotification(notification);
        else {
          const { address, port } = notification.rinfo;
          options.onRejected({ reason: 'replayed', source: { address, port }, detail: 'seen before' });
        }
      } else if (err.rinfo) options.onRejected(classify(err));
      else options.onSocketError(err);
    };
    let receiver: ReceiverInternals;
    try {
      receiver = snmp.createReceiver(
        {
          port,
          address: options.host,
          transport: isIPv6(options.host) ? 'udp6' : 'udp4',
          engineID: options.engineId,
          includeAuthentication: true,
          dgramModule: { createSocket: () => socket },
        },
        onMessage,
      ) as ReceiverInternals;
    } catch (err) {
      socket.close();
      throw err;
    }
    guardMessages(socket, options.onRejected, replays);
    countReports(receiver, options.onRejected);
    return new TrapListener(socket, receiver);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Replaces the authorization lists in place: the socket stays open, nothing is lost. */
  authorize(auth: TrapAuthorization): void {
    const authorizer = this.#receiver.getAuthorizer();
    const communities = new Set(auth.communities);
    for (const c of [...authorizer.getCommunities()]) if (!communities.has(c)) authorizer.deleteCommunity(c);
    for (const c of communities) authorizer.addCommunity(c);
    const names = new Set(auth.users.map((u) => u.name));
    for (const u of [...authorizer.getUsers()]) if (!names.has(u.name)) authorizer.deleteUser(u.name);
    for (const u of auth.users) authorizer.addUser({ ...u });
  }

  /** Closes the socket; safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      try {
        this.#receiver.close(() => resolve());
      } catch {
        // Already closed (e.g. after a socket error): nothing is left to release.
        resolve();
      }
    });
    return this.#closed;
  }
}

/** Constructed BER nesting deeper than any SNMP message has (message, PDU, varbinds, varbind). */
const MAX_DEPTH = 12;

/**
 * Whether `buf` is exactly one BER TLV whose constructed parts tile their containers exactly,
 * all the way down. net-snmp's reader stops quietly where a length runs past the datagram, so
 * a truncated trap would be read with varbinds missing or values emptied, and an inform
 * acknowledged for what it never fully received; such a datagram is dropped instead.
 */
export function wellFramed(buf: Buffer): boolean {
  const tlv = new Tlv();
  const tiles = (start: number, end: number, depth: number): boolean => {
    let at = start;
    while (at < end) {
      tlv.read(buf, at, end);
      const { tag, start: contentStart, end: contentEnd } = tlv;
      // Constructed (bit 6): a SEQUENCE or a PDU; its content must be whole TLVs too.
      if (tag & 0x20) {
        if (depth >= MAX_DEPTH || !tiles(contentStart, contentEnd, depth + 1)) return false;
      }
      at = contentEnd;
    }
    return at === end;
  };
  try {
    if (buf.length < 2) return false;
    tlv.read(buf, 0, buf.length);
    return tlv.end === buf.length && tiles(0, buf.length, 0);
  } catch (err) {
    if (err instanceof Malformed) return false;
    throw err;
  }
}

/** How long, and how many, authenticated SNMPv3 messages are remembered to refuse replays. */
const REPLAY_WINDOW_MS = 15 * 60_000;
const REPLAY_MEMORY = 50_000;

/**
 * Refuses a second copy of an authenticated SNMPv3 notification. A v3 message's digest is an
 * HMAC over all of it, so a copy is a replay (or a sender re-sending an inform whose answer it
 * missed: net-snmp answers it again, and it is not stored twice). net-snmp's receiver checks
 * neither engine time nor boots, so without this a captured trap could be played back as new
 * alarms. Copies are caught within `REPLAY_WINDOW_MS` and the last `REPLAY_MEMORY` messages.
 * A message is remembered only once it authenticated, so forgeries fill nothing.
 */
class ReplayGuard {
  readonly #seen = new Map<string, number>();
  /** The authenticated v3 message being handled now, by its engine id and digest; else null. */
  #current: string | null = null;

  /** Called for each datagram before net-snmp reads it. */
  before(buf: Buffer): void {
    this.#current = null;
    if (buf[0] !== 0x30) return;
    try {
      const msg = parseV3Message(buf);
      if ((msg.flags & Flags.auth) === 0 || msg.digestLength === 0) return;
      const digest = buf.subarray(msg.digestAt, msg.digestAt + msg.digestLength);
      this.#current = `${msg.engineId.toString('hex')}/${digest.toString('hex')}`;
    } catch {
      // Not SNMPv3, or not a message this reader takes: net-snmp judges it.
    }
  }

  /** For the notification net-snmp accepted now: true unless it is a copy of one before. */
  accept(): boolean {
    const key = this.#current;
    this.#current = null;
    if (key === null) return true;
    const now = Date.now();
    const at = this.#seen.get(key);
    if (at !== undefined && now - at <= REPLAY_WINDOW_MS) return false;
    this.#seen.delete(key);
    this.#seen.set(key, now);
    // Oldest first, in insertion order.
    for (const [k, t] of this.#seen) {
      if (this.#seen.size <= REPLAY_MEMORY && now - t <= REPLAY_WINDOW_MS) break;
      this.#seen.delete(k);
    }
    return true;
  }
}

/**
 * Wraps net-snmp's datagram handler: a datagram that is not well-framed BER is dropped as
 * `malformed` before net-snmp reads it, and a throw inside net-snmp becomes the same.
 */
function guardMessages(
  socket: dgram.Socket,
  onRejected: (r: TrapRejection) => void,
  replays: ReplayGuard,
): void {
  const handlers = socket.listeners('message') as ((msg: Buffer, rinfo: dgram.RemoteInfo) => void)[];
  socket.removeAllListeners('message');
  socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    if (!wellFramed(msg)) {
      onRejected({
        reason: 'malformed',
        source: { address: rinfo.address, port: rinfo.port },
        detail: 'not well-framed BER (truncated, or lengths that do not add up)',
      });
      return;
    }
    replays.before(msg);
    for (const handler of handlers) {
      try {
        handler.call(socket, msg, rinfo);
      } catch (err) {
        const detail = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
        onRejected({ reason: 'malformed', source: { address: rinfo.address, port: rinfo.port }, detail });
      }
    }
  });
}

/**
 * An inform (reportable) from an unknown user, or one with a wrong security level, is answered
 * with a Report-PDU (RFC 3414 section 3.2) and never reaches the callback: count it from the
 * report net-snmp sends. Discovery reports (usmStatsUnknownEngineIDs) are the normal first
 * step of a v3 inform and are not rejections.
 */
function countReports(receiver: ReceiverInternals, onRejected: (r: TrapRejection) => void): void {
  const listener = receiver.listener;
  const send = listener.send.bind(listener);
  listener.send = (message, ...rest) => {
    const pdu = message.pdu;
    if (pdu?.type === snmp.PduType.Report) {
      const reason = REPORT_REASONS.get(pdu.varbinds?.[0]?.oid ?? '');
      const rinfo = rest[0] as Rinfo | undefined;
      const source = rinfo ? { address: rinfo.address, port: rinfo.port } : undefined;
      if (reason) onRejected({ reason, source, detail: 'answered with a report' });
    }
    send(message, ...rest);
  };
}
