import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SnmpAccess } from '@drm/protocol';
import { encodeOid, Malformed, readInteger, Tag, Tlv } from './ber.js';
import { EngineState } from './engine.js';
import {
  couldNotDecrypt,
  outsideTimeWindow,
  requestFailed,
  socketClosed,
  timedOut,
  unexpectedReport,
  usmReport,
} from './errors.js';
import {
  encodeCommunityRequest,
  encodeV3Request,
  Flags,
  type PageRequest,
  parseCommunityMessage,
  parsePdu,
  parseScopedPdu,
  parseV3Message,
  type V3Message,
  VERSION_1,
  VERSION_2C,
  VERSION_3,
} from './message.js';
import { cipherAvailable, localizeKeys, UsmSecurity } from './usm.js';
import { scanVarbinds, Unhandled, type WireVarbind } from './varbinds.js';

/**
 * Our own SNMP exchange for the pages of a walk (GetBulk, or GetNext): one UDP socket, request
 * ids, retries, SNMPv3 discovery, USM and engine time. net-snmp's per-message work (its object
 * model, a cipher, an HMAC and random bytes per message, its BER library) was most of the CPU
 * of an SNMPv3 round trip, and a walk is a chain of round trips.
 *
 * It handles what a walk meets on every page and declines the rest: a response it does not
 * read exactly as net-snmp would (see `varbinds.ts`), an OID it does not encode as net-snmp
 * does, a cipher this Node build lacks. Declining calls the page's `fallback`, which asks
 * net-snmp for the same page, so the walk's result never depends on which path read it.
 */

export interface WirePage {
  method: 'bulk' | 'next';
  /** Where the page starts (the last OID of the page before). */
  oid: string;
  maxRepetitions: number;
}

export interface WireStats {
  /** Pages answered through this layer. */
  pages: number;
  /** Pages handed to net-snmp. */
  fallbacks: number;
  /** Datagrams ignored: undecodable, answering nothing pending, or not authentic. */
  dropped: number;
  /** Requests sent again after a notInTimeWindow or unknownEngineID report. */
  resyncs: number;
}

/** How a walk's pages end when this layer does not answer them itself; one set per walk. */
export interface PageHandlers<T> {
  /** Reads the page through net-snmp instead. */
  fallback(page: WirePage, signal: AbortSignal | undefined): Promise<T>;
  /** The rejection for an aborted page. */
  cancelled(): unknown;
  /** Maps a failure of `page` (shaped as net-snmp's, see `errors.ts`) to the rejection. */
  failed(error: unknown, keysSuspect: boolean, page: WirePage): unknown;
}

export interface WireSessionOptions {
  host: string;
  access: SnmpAccess;
  timeoutMs: number;
  retries: number;
  /** Answers IP literals at once (see `literalLookup` in session.ts). */
  lookup: NonNullable<dgram.SocketOptions['lookup']>;
  /** A datagram was ignored or a page handed to net-snmp, with the reason (diagnostics). */
  onDrop?: ((reason: unknown) => void) | undefined;
}

/** RFC 3414 usmStats, `usmStatsNotInTimeWindows` and `usmStatsUnknownEngineIDs` among them. */
const USM_STATS_PREFIX = '1.3.6.1.6.3.15.1.1.';
const NOT_IN_TIME_WINDOW = '2';
const UNKNOWN_ENGINE_ID = '4';
const EMPTY: Buffer = Buffer.alloc(0);
/** What an aborted exchange rejects with before `PageHandlers.cancelled` words it. */
const CANCELLED = Symbol('cancelled');
/** Request ids stay positive 31-bit INTEGERs. */
const MAX_ID = 0x7fffffff;

/**
 * One request in flight: its current message, retries left, and how it ends. It listens for
 * its signal's abort itself (`handleEvent`), so a page costs no closures.
 */
class Exchange {
  id = 0;
  message: Buffer = EMPTY;
  /** When the current attempt times out (`performance.now()` clock). */
  deadline = 0;
  retriesLeft: number;
  /** Re-sent once after a notInTimeWindow or unknownEngineID report. */
  resynced = false;
  done = false;

  constructor(
    readonly owner: WireSession,
    readonly pdu: PageRequest,
    readonly discovery: boolean,
    retries: number,
    readonly resolve: (value: WireVarbind[]) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
    /** Ends the exchange by asking net-snmp; `undefined` for discovery. */
    readonly decline: (() => void) | undefined,
  ) {
    this.retriesLeft = retries;
  }

  handleEvent(): void {
    this.owner.abort(this);
  }
}

function levelFlags(access: SnmpAccess): number {
  if (access.version !== '3') return 0;
  const auth = access.securityLevel !== 'noAuthNoPriv' ? Flags.auth : 0;
  const priv = access.securityLevel === 'authPriv' ? Flags.priv : 0;
  return auth | priv;
}

/** True when this layer can speak for the access at all (SNMPv3 needs its cipher in this Node). */
function supported(access: SnmpAccess): boolean {
  if (access.version !== '3' || access.securityLevel !== 'authPriv') return true;
  return access.privProtocol !== undefined && cipherAvailable(access.privProtocol);
}

export class WireSession {
  readonly stats: WireStats = { pages: 0, fallbacks: 0, dropped: 0, resyncs: 0 };
  readonly #opts: WireSessionOptions;
  readonly #access: SnmpAccess;
  readonly #version: number;
  readonly #community: Buffer;
  readonly #flags: number;
  readonly #userName: Buffer;
  readonly #contextName: Buffer;
  readonly #pending = new Map<number, Exchange>();
  #socket: dgram.Socket | undefined;
  /**
   * One timer for every request of the session, due at the earliest deadline or later: a page
   * then costs no timer of its own, and the timer fires about once per `timeoutMs`.
   */
  #timer: NodeJS.Timeout | undefined;
  #nextId: number;
  #closed = false;
  /** Set when discovery went somewhere this layer does not follow: net-snmp takes every page. */
  #declined: boolean;
  #engine: EngineState | undefined;
  #discovery: Promise<boolean> | undefined;
  /** An authentic message came back: the keys are right (the `auth` guess on timeouts is off). */
  #authenticated = false;
  /**
   * Discovery was answered with something that is not a usable Report. Such an answer is
   * ignored (one forged datagram must not turn this layer off); only when discovery then gets
   * nothing better does net-snmp take the session's pages.
   */
  #oddDiscovery = false;

  constructor(opts: WireSessionOptions) {
    this.#opts = opts;
    const { access } = opts;
    this.#access = access;
    this.#version = access.version === '1' ? VERSION_1 : access.version === '2c' ? VERSION_2C : VERSION_3;
    this.#community = Buffer.from(access.version === '3' ? '' : access.community, 'utf8');
    this.#flags = levelFlags(access);
    this.#userName = Buffer.from(access.version === '3' ? access.username : '', 'utf8');
    this.#contextName = Buffer.from(access.version === '3' ? (access.context ?? '') : '', 'utf8');
    this.#declined = !supported(access);
    this.#nextId = 1 + Math.floor(Math.random() * (MAX_ID - 1));
  }

  /**
   * SNMPv3 only: the engine answered discovery but nothing authentic ever came back. A timeout
   * then most likely means wrong keys (the engine drops what it cannot authenticate or decrypt).
   */
  get keysSuspect(): boolean {
    return this.#engine !== undefined && !this.#authenticated;
  }

  /** One page of a walk, or `handlers.fallback`'s answer when this layer declines it. */
  page<T>(
    page: WirePage,
    signal: AbortSignal | undefined,
    handlers: PageHandlers<T>,
  ): Promise<WireVarbind[] | T> {
    const oid = encodeOid(page.oid);
    if (oid === undefined || this.#declined || this.#closed) {
      this.stats.fallbacks += 1;
      return handlers.fallback(page, signal);
    }
    if (signal?.aborted) return Promise.reject(handlers.cancelled());
    const pdu: PageRequest = {
      type: page.method === 'bulk' ? Tag.GetBulkRequest : Tag.GetNextRequest,
      requestId: 0,
      oid,
      maxRepetitions: page.maxRepetitions,
    };
    return new Promise<WireVarbind[] | T>((resolve, reject) => {
      const ex = new Exchange(
        this,
        pdu,
        false,
        this.#opts.retries,
        resolve,
        (error) =>
          reject(error === CANCELLED ? handlers.cancelled() : handlers.failed(error, this.keysSuspect, page)),
        signal,
        () => {
          this.stats.fallbacks += 1;
          resolve(handlers.fallback(page, signal));
        },
      );
      signal?.addEventListener('abort', ex, { once: true });
      if (this.#version !== VERSION_3 || this.#engine) this.#send(ex);
      else this.#afterDiscovery(ex);
    });
  }

  /** The signal of `ex` aborted: it ends at once, and its response will be ignored. */
  abort(ex: Exchange): void {
    if (ex.done) return;
    this.#finish(ex);
    ex.reject(CANCELLED);
  }

  /** Closes the socket; requests in flight reject as net-snmp's do when its socket closes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ex of [...this.#pending.values()]) this.#fail(ex, socketClosed());
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#socket?.close();
    this.#socket = undefined;
  }

  #afterDiscovery(ex: Exchange): void {
    this.#discover().then(
      (usable) => {
        if (ex.done) return;
        if (usable) this.#send(ex);
        else this.#decline(ex, 'discovery');
      },
      (error: unknown) => this.#fail(ex, error),
    );
  }

  /** RFC 3414 section 4: learns the engine ID (and its boots and time) from a Report. */
  #discover(): Promise<boolean> {
    if (!this.#discovery) {
      const discovery = new Promise<boolean>((resolve, reject) => {
        const pdu: PageRequest = { type: Tag.GetRequest, requestId: 0, oid: undefined, maxRepetitions: 0 };
        // net-snmp takes the session's pages from here on.
        const decline = () => {
          this.#declined = true;
          resolve(false);
        };
        const ex = new Exchange(
          this,
          pdu,
          true,
          this.#opts.retries,
          () => resolve(true),
          (error) => (this.#oddDiscovery ? decline() : reject(error)),
          undefined,
          decline,
        );
        this.#send(ex);
      });
      // A failed discovery (timeout) is tried again by the next page.
      discovery.catch(() => {
        if (this.#discovery === discovery) this.#discovery = undefined;
      });
      this.#discovery = discovery;
    }
    return this.#discovery;
  }

  #takeId(): number {
    const id = this.#nextId;
    this.#nextId = id >= MAX_ID ? 1 : id + 1;
    return id;
  }

  /** Builds the exchange's message with a fresh id (and, for SNMPv3, the engine's time now). */
  #build(ex: Exchange): void {
    const id = this.#takeId();
    ex.id = id;
    ex.pdu.requestId = id;
    if (this.#version !== VERSION_3) {
      ex.message = encodeCommunityRequest(this.#version, this.#community, ex.pdu);
      return;
    }
    const engine = ex.discovery ? undefined : this.#engine;
    const { boots, time } = engine?.now() ?? { boots: 0, time: 0 };
    ex.message = encodeV3Request(
      {
        msgId: id,
        flags: Flags.reportable | (engine ? this.#flags : 0),
        engineId: engine?.id ?? EMPTY,
        boots,
        time,
        userName: engine ? this.#userName : EMPTY,
        contextEngineId: engine?.id ?? EMPTY,
        contextName: this.#contextName,
        security: engine?.security,
      },
      ex.pdu,
    );
  }

  #send(ex: Exchange): void {
    if (ex.done) return;
    if (this.#closed) {
      this.#fail(ex, socketClosed());
      return;
    }
    try {
      this.#build(ex);
    } catch (err) {
      // A request this encoder cannot write (a very long OID): net-snmp's to judge.
      this.#decline(ex, err);
      return;
    }
    this.#pending.set(ex.id, ex);
    this.#transmit(ex);
  }

  #transmit(ex: Exchange): void {
    ex.deadline = performance.now() + this.#opts.timeoutMs;
    this.#armTimer();
    const id = ex.id;
    this.#ensureSocket().send(ex.message, this.#opts.access.port, this.#opts.host, (error) => {
      if (error && !ex.done && ex.id === id) this.#fail(ex, error);
    });
  }

  /** Keeps the timer running (and the process alive) while anything is pending. */
  #armTimer(): void {
    if (this.#timer) {
      this.#timer.ref();
      return;
    }
    const due = Math.min(...[...this.#pending.values()].map((ex) => ex.deadline));
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(1, Math.ceil(due - performance.now())));
  }

  #onTimer(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (const ex of [...this.#pending.values()]) {
      if (ex.done || ex.deadline > now) continue;
      if (ex.retriesLeft > 0) {
        ex.retriesLeft -= 1;
        this.#transmit(ex);
      } else {
        this.#fail(ex, timedOut());
      }
    }
    if (this.#pending.size > 0) this.#armTimer();
  }

  #finish(ex: Exchange): void {
    ex.done = true;
    ex.signal?.removeEventListener('abort', ex);
    if (this.#pending.get(ex.id) === ex) this.#pending.delete(ex.id);
    // Idle, the session must not keep the process alive.
    if (this.#pending.size === 0) this.#timer?.unref();
  }

  #fail(ex: Exchange, error: unknown): void {
    if (ex.done) return;
    this.#finish(ex);
    ex.reject(error);
  }

  #succeed(ex: Exchange, varbinds: WireVarbind[]): void {
    if (ex.done) return;
    this.#finish(ex);
    if (!ex.discovery) this.stats.pages += 1;
    ex.resolve(varbinds);
  }

  /** Hands the exchange to net-snmp (a response this layer does not read as net-snmp would). */
  #decline(ex: Exchange, reason: unknown): void {
    if (ex.done) return;
    this.#opts.onDrop?.(reason);
    this.#finish(ex);
    ex.decline?.();
  }

  #ensureSocket(): dgram.Socket {
    if (this.#socket) return this.#socket;
    const type = isIPv6(this.#opts.host) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, lookup: this.#opts.lookup });
    // Pending requests hold the timer; an idle session must not keep the process alive.
    socket.unref();
    socket.on('message', (buf: Buffer) => this.#onDatagram(buf));
    socket.on('error', (err) => this.#onSocketError(socket, err));
    this.#socket = socket;
    return socket;
  }

  /** A socket that failed is dropped with what was in flight on it; the next page opens another. */
  #onSocketError(socket: dgram.Socket, err: Error): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    for (const ex of [...this.#pending.values()]) this.#fail(ex, err);
    try {
      socket.close();
    } catch {
      // already closed
    }
  }

  #drop(reason: unknown): void {
    this.stats.dropped += 1;
    this.#opts.onDrop?.(reason);
  }

  /** Never throws: whatever a datagram holds, the worst it does is get itself ignored. */
  #onDatagram(buf: Buffer): void {
    try {
      if (this.#version === VERSION_3) this.#onV3(buf);
      else this.#onCommunity(buf);
    } catch (err) {
      this.#drop(err);
    }
  }

  #onCommunity(buf: Buffer): void {
    const msg = parseCommunityMessage(buf);
    const ex = this.#pending.get(requestIdAt(buf, msg.pduAt));
    if (!ex) {
      this.#drop(new Malformed('response to no pending request'));
      return;
    }
    // net-snmp reads varbinds to the end of the datagram: a message that does not fill it, or
    // answers in another version or community, is net-snmp's to judge.
    if (msg.end !== buf.length || msg.version !== this.#version) {
      this.#decline(ex, 'message envelope');
      return;
    }
    if (!this.#community.equals(buf.subarray(msg.communityStart, msg.communityEnd))) {
      this.#decline(ex, 'community');
      return;
    }
    this.#answer(ex, buf, msg.pduAt, buf.length);
  }

  #onV3(buf: Buffer): void {
    const msg = parseV3Message(buf);
    const ex = this.#pending.get(msg.msgId);
    if (!ex) {
      this.#drop(new Malformed('response to no pending request'));
      return;
    }
    if (ex.discovery) {
      this.#onDiscovery(ex, msg, buf);
      return;
    }
    const engine = this.#engine;
    if (!engine) {
      this.#drop(new Malformed('no engine'));
      return;
    }
    const authentic = (msg.flags & Flags.auth) !== 0;
    if (authentic && !this.#isAuthentic(engine, msg, buf)) {
      this.#drop(new Malformed('not authentic'));
      return;
    }
    if (msg.encrypted && !authentic) {
      this.#drop(new Malformed('encrypted but not authenticated'));
      return;
    }
    let bytes = buf;
    let start = msg.dataStart;
    let end = msg.dataEnd;
    if (msg.encrypted) {
      const plain = this.#decrypt(engine, msg, buf);
      if (!plain) {
        this.#fail(ex, couldNotDecrypt('bad length'));
        return;
      }
      bytes = plain;
      start = 0;
      end = plain.length;
    }
    let scoped: { pduAt: number; pduEnd: number };
    try {
      scoped = parseScopedPdu(bytes, start, end);
    } catch (err) {
      // Decrypted garbage is a wrong privacy key, as net-snmp reports it.
      if (msg.encrypted) {
        this.#fail(ex, couldNotDecrypt(String(err)));
        return;
      }
      throw err;
    }
    const type = bytes[scoped.pduAt];
    if (type === Tag.Report) {
      this.#onReport(ex, msg, authentic, bytes, scoped.pduAt, scoped.pduEnd);
      return;
    }
    if (type !== Tag.Response) {
      this.#decline(ex, `PDU type ${type}`);
      return;
    }
    // RFC 3412 section 7.2 step 12: a response comes at the security level of its request.
    if ((msg.flags & (Flags.auth | Flags.priv)) !== this.#flags) {
      this.#drop(new Malformed('level'));
      return;
    }
    if (authentic) {
      engine.observe(msg.boots, msg.time);
      if (!engine.inWindow(msg.boots, msg.time)) {
        const notion = engine.now();
        this.#fail(ex, outsideTimeWindow(msg.boots, msg.time, notion.boots, notion.time));
        return;
      }
    }
    this.#authenticated = true;
    this.#answer(ex, bytes, scoped.pduAt, scoped.pduEnd);
  }

  #isAuthentic(engine: EngineState, msg: V3Message, buf: Buffer): boolean {
    if (!engine.id.equals(msg.engineId)) return false;
    return engine.security.isAuthentic(buf, msg.digestAt, msg.digestLength);
  }

  #decrypt(engine: EngineState, msg: V3Message, buf: Buffer): Buffer | undefined {
    const data = buf.subarray(msg.dataStart, msg.dataEnd);
    return engine.security.decrypt(data, msg.privParameters, msg.boots, msg.time);
  }

  #onDiscovery(ex: Exchange, msg: V3Message, buf: Buffer): void {
    const usable =
      msg.engineId.length > 0 &&
      !msg.encrypted &&
      buf[parseScopedPdu(buf, msg.dataStart, msg.dataEnd).pduAt] === Tag.Report;
    if (!usable) {
      this.#oddDiscovery = true;
      this.#drop(new Malformed('discovery answer'));
      return;
    }
    this.#engine = this.#newEngine(msg);
    this.#succeed(ex, []);
  }

  /** The engine a Report names, with the keys localised to it (a megabyte hashed per key). */
  #newEngine(msg: V3Message): EngineState {
    const security = new UsmSecurity(localizeKeys(this.#credentials(), msg.engineId));
    return new EngineState(msg.engineId, security, msg.boots, msg.time);
  }

  #credentials() {
    const a = this.#access;
    if (a.version !== '3' || a.securityLevel === 'noAuthNoPriv') return {};
    const creds = { authProtocol: a.authProtocol, authKey: a.authKey };
    return a.securityLevel === 'authPriv'
      ? { ...creds, privProtocol: a.privProtocol, privKey: a.privKey }
      : creds;
  }

  /**
   * RFC 3414 section 3.2 reports. notInTimeWindow (the engine rebooted, or our notion drifted)
   * and unknownEngineID (the engine was replaced) carry the engine's current values: take
   * them and send the request again, once. The others mean the credentials do not match.
   */
  #onReport(ex: Exchange, msg: V3Message, authentic: boolean, bytes: Buffer, at: number, end: number): void {
    let first: string;
    try {
      const pdu = parsePdu(bytes, at, end);
      first = scanVarbinds(bytes, pdu.listStart, pdu.listEnd)[0]?.oid() ?? '';
    } catch (err) {
      this.#decline(ex, err);
      return;
    }
    if (!first.startsWith(USM_STATS_PREFIX)) {
      this.#fail(ex, unexpectedReport());
      return;
    }
    if (authentic) this.#authenticated = true;
    const counter = first.slice(USM_STATS_PREFIX.length).replace(/\.0$/, '');
    // An engine sends notInTimeWindow authenticated (RFC 3414 section 3.2 step 7b): when the
    // session authenticates, one that is not could be anyone's, and its time is not taken.
    if (counter === NOT_IN_TIME_WINDOW && !authentic && (this.#flags & Flags.auth) !== 0) {
      this.#drop(new Malformed('unauthenticated notInTimeWindow report'));
      return;
    }
    const recoverable = counter === NOT_IN_TIME_WINDOW || counter === UNKNOWN_ENGINE_ID;
    if (!recoverable || ex.resynced || msg.engineId.length === 0) {
      this.#fail(ex, usmReport(counter));
      return;
    }
    ex.resynced = true;
    this.stats.resyncs += 1;
    const engine = this.#engine;
    if (engine?.id.equals(msg.engineId)) engine.resync(msg.boots, msg.time);
    else this.#engine = this.#newEngine(msg);
    this.#pending.delete(ex.id);
    this.#send(ex);
  }

  /** A Response PDU, shared by every version. */
  #answer(ex: Exchange, bytes: Buffer, at: number, end: number): void {
    let varbinds: WireVarbind[];
    let pdu: ReturnType<typeof parsePdu>;
    try {
      pdu = parsePdu(bytes, at, end);
      if (pdu.type !== Tag.Response) {
        this.#decline(ex, `PDU type ${pdu.type}`);
        return;
      }
      varbinds = scanVarbinds(bytes, pdu.listStart, pdu.listEnd);
    } catch (err) {
      if (err instanceof Malformed || err instanceof Unhandled) {
        this.#decline(ex, err);
        return;
      }
      throw err;
    }
    if (pdu.errorStatus > 0) {
      const named = pdu.errorIndex > 0 ? varbinds[pdu.errorIndex - 1] : undefined;
      this.#fail(ex, requestFailed(pdu.errorStatus, named?.oid()));
      return;
    }
    // net-snmp refuses a GetNext answered with another number of varbinds than asked.
    if (ex.pdu.type === Tag.GetNextRequest && varbinds.length !== 1) {
      this.#decline(ex, 'varbind count');
      return;
    }
    this.#succeed(ex, varbinds);
  }
}

/** The request-id of the PDU at `at`, read before the rest of the message is checked. */
function requestIdAt(buf: Buffer, at: number): number {
  const tlv = new Tlv().read(buf, at, buf.length);
  tlv.expect(buf, tlv.start, tlv.end, Tag.Integer);
  return readInteger(buf, tlv.start, tlv.end);
}
