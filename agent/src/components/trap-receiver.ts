import type { Logger } from 'pino';
import { uuidv7 } from '@drm/protocol';
import { TrapDeviceIndex, trapAuthorization, type TrapAuthorization } from '../drivers/snmp/trap-access.js';
import { type RawNotification, sourceAddress, toTrapEvent } from '../drivers/snmp/trap-event.js';
import {
  newEngineId,
  TrapListener,
  type TrapRejection,
  type TrapRejectReason,
} from '../drivers/snmp/trap-listener.js';
import type { Store } from '../store/index.js';
import type { Component } from './component.js';

/** Meta key of the receiver's snmpEngineID, which RFC 3411 section 3.1.1.1 wants kept across restarts. */
export const ENGINE_ID_META_KEY = 'snmp_engine_id';
/** RFC 3411 SnmpEngineID: 5 to 32 octets. */
const ENGINE_ID_RE = /^(?:[0-9a-f]{2}){5,32}$/;

export interface TrapReceiverOptions {
  store: Store;
  log: Logger;
  /** 0 = free port (tests); 162 by default from the config. */
  port: number;
  /** Default '0.0.0.0'; an IPv6 address listens on UDP over IPv6. */
  host?: string;
  /**
   * v1/v2c communities accepted besides those of the desired state's devices (the config's
   * `trapCommunities`). SECRET.
   */
  communities?: readonly string[];
  /** Called after an event was queued (the drain wakes up). */
  onEvent: () => void;
  now?: () => number;
}

/** Why notifications were not queued: the listener's reasons, plus `invalid` and `store`. */
export type TrapDropReason = TrapRejectReason | 'invalid' | 'store';

export interface TrapReceiverStats {
  /** Events stored in `store.events` since start. */
  queued: number;
  /**
   * Datagrams not queued, by reason: unknown community or user, failed authentication,
   * undecodable, not a notification, decoded but not a valid event (`invalid`), or the store
   * refused the write (`store`).
   */
  dropped: Record<TrapDropReason, number>;
}

const NO_DROPS: Record<TrapDropReason, number> = {
  'unknown-community': 0,
  'unknown-user': 0,
  auth: 0,
  malformed: 0,
  unsupported: 0,
  replayed: 0,
  invalid: 0,
  store: 0,
};

const label = (s: { address: string; port: number } | undefined) =>
  s === undefined ? undefined : `${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;

/**
 * Receives SNMP v1/v2c/v3 traps and informs on a UDP port, accepts those from the communities
 * and USM users of the desired state's devices (plus the configured extra communities), turns
 * each into a `TrapEvent`, stores it in `store.events`, and calls `onEvent`. Informs are
 * answered by net-snmp as they arrive, before they are stored (RFC 3416 section 4.2.7 asks
 * only that the receiver got it). Nothing received can throw out of it: what is refused or
 * undecodable is counted and logged at debug level with its source, never with its community.
 */
export class TrapReceiver implements Component {
  readonly #opts: TrapReceiverOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #listener: TrapListener | null = null;
  #opening: Promise<void> | null = null;
  #auth: TrapAuthorization = { communities: [], users: [], conflicts: [] };
  #devices = new TrapDeviceIndex([]);
  #queued = 0;
  readonly #dropped: Record<TrapDropReason, number> = { ...NO_DROPS };

  constructor(opts: TrapReceiverOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'trap-receiver' });
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.#listener) return;
    this.#opening ??= this.#open().finally(() => {
      this.#opening = null;
    });
    await this.#opening;
  }

  async #open(): Promise<void> {
    const host = this.#opts.host ?? '0.0.0.0';
    this.#load();
    let listener: TrapListener;
    try {
      listener = await TrapListener.open({
        host,
        port: this.#opts.port,
        engineId: this.#engineId(),
        onNotification: (n) => this.#onNotification(n),
        onRejected: (r) => this.#onRejected(r),
        onSocketError: (err) => this.#log.warn({ err }, 'trap receiver socket error'),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      const hint =
        code === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE; see --trap-port)' : '';
      throw new Error(`trap receiver cannot listen on UDP ${host}:${this.#opts.port}: ${code}${hint}`, {
        cause: err,
      });
    }
    listener.authorize(this.#auth);
    this.#listener = listener;
    this.#log.info({ host, port: listener.port }, 'trap receiver listening');
  }

  /** Desired state changed (devices, communities, v3 users): re-read it. The socket stays open. */
  reload(): void {
    try {
      this.#load();
      this.#listener?.authorize(this.#auth);
    } catch (err) {
      // A bad desired-state row was quarantined by the store; keep the lists held so far.
      this.#log.error({ err }, 'trap receiver could not reload the desired state');
    }
  }

  /** The bound UDP port once started; 0 before. */
  get port(): number {
    return this.#listener?.port ?? 0;
  }

  get stats(): TrapReceiverStats {
    return { queued: this.#queued, dropped: { ...this.#dropped } };
  }

  async stop(): Promise<void> {
    await this.#opening?.catch(() => {});
    const listener = this.#listener;
    this.#listener = null;
    if (!listener) return;
    await listener.close();
    this.#log.info({ queued: this.#queued, dropped: this.#dropped }, 'trap receiver stopped');
  }

  #load(): void {
    const devices = this.#opts.store.desired.current()?.config.devices ?? [];
    this.#auth = trapAuthorization(devices, this.#opts.communities ?? []);
    this.#devices = new TrapDeviceIndex(devices);
    if (this.#auth.conflicts.length > 0) {
      this.#log.warn(
        { users: this.#auth.conflicts },
        'SNMPv3 users defined with different keys by several devices: the first definition is used',
      );
    }
    this.#log.debug(
      { communities: this.#auth.communities.length, users: this.#auth.users.length, devices: devices.length },
      'trap authorization loaded',
    );
  }

  #engineId(): string {
    const { meta } = this.#opts.store;
    const held = meta.get(ENGINE_ID_META_KEY);
    if (held !== null && ENGINE_ID_RE.test(held)) return held;
    const fresh = newEngineId();
    meta.set(ENGINE_ID_META_KEY, fresh);
    return fresh;
  }

  #drop(reason: TrapDropReason, source: string | undefined, detail?: string): void {
    this.#dropped[reason] += 1;
    this.#log.debug({ reason, source, ...(detail !== undefined && { detail }) }, 'notification dropped');
  }

  #onRejected(rejection: TrapRejection): void {
    this.#drop(rejection.reason, label(rejection.source), rejection.detail);
  }

  #onNotification(notification: RawNotification): void {
    const { pdu, rinfo } = notification;
    const source = label({ address: sourceAddress(rinfo.address), port: rinfo.port });
    // net-snmp lets an unauthenticated v3 message with an empty user name through; no device
    // has that user, so it is an unknown user here.
    if (pdu.scoped && !pdu.user) {
      this.#drop('unknown-user', source);
      return;
    }
    const at = this.#now();
    const deviceId = this.#devices.match(rinfo.address, { community: pdu.community, user: pdu.user });
    const converted = toTrapEvent(notification, {
      id: uuidv7(at),
      receivedAt: new Date(at).toISOString(),
      deviceId,
    });
    if (!converted.ok) {
      this.#drop('invalid', source, converted.problem);
      return;
    }
    const { event } = converted;
    try {
      this.#opts.store.events.append(event);
    } catch (err) {
      this.#dropped.store += 1;
      this.#log.error({ err, source, eventId: event.id }, 'trap event could not be stored');
      return;
    }
    this.#queued += 1;
    this.#log.debug(
      { source, eventId: event.id, pdu: event.pdu, trapOid: event.trapOid, deviceId },
      'trap event queued',
    );
    try {
      this.#opts.onEvent();
    } catch (err) {
      this.#log.warn({ err }, 'onEvent listener failed');
    }
  }
}
