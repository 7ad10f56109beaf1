import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import snmp from 'net-snmp';
import pino from 'pino';
import type { ConfigSync, DeviceAccess, TrapEvent } from '@drm/protocol';
import { type TrapDropReason, TrapReceiver } from '../../src/components/trap-receiver.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../store/fixtures.js';

/**
 * A trap receiver on a free loopback port over a real store, with a desired state of devices
 * on distinct loopback source addresses (Linux routes all of 127.0.0.0/8 to `lo`), and
 * net-snmp sessions bound to those addresses as senders.
 */

export const V3 = { name: 'drmtrap', authKey: 'trap-auth-pass', privKey: 'trap-priv-pass' };
export const V3_USER: snmp.User = {
  name: V3.name,
  level: snmp.SecurityLevel.authPriv,
  authProtocol: snmp.AuthProtocols.sha,
  authKey: V3.authKey,
  privProtocol: snmp.PrivProtocols.aes,
  privKey: V3.privKey,
};

export const DEV = {
  v2: randomUUID(), // 127.0.0.1, v2c 'trap-public'
  v1: randomUUID(), // 127.0.0.2, v1 'v1-secret'
  v3: randomUUID(), // 127.0.0.3, v3 drmtrap
  east: randomUUID(), // 127.0.0.4, v2c 'east'
  west: randomUUID(), // 127.0.0.4, v2c 'west'
  named: randomUUID(), // a DNS name, never matched
};

export function v3Device(deviceId: string, address: string, username: string): DeviceAccess {
  return {
    deviceId,
    address,
    snmp: {
      version: '3',
      port: 161,
      username,
      securityLevel: 'authPriv',
      authProtocol: 'sha',
      authKey: V3.authKey,
      privProtocol: 'aes',
      privKey: V3.privKey,
    },
  };
}

export function v2Device(deviceId: string, address: string, community: string): DeviceAccess {
  return { deviceId, address, snmp: { version: '2c', port: 161, community } };
}

export function devices(): DeviceAccess[] {
  return [
    v2Device(DEV.v2, '127.0.0.1', 'trap-public'),
    { deviceId: DEV.v1, address: '127.0.0.2', snmp: { version: '1', port: 161, community: 'v1-secret' } },
    v3Device(DEV.v3, '127.0.0.3', V3.name),
    v2Device(DEV.east, '127.0.0.4', 'east'),
    v2Device(DEV.west, '127.0.0.4', 'west'),
    v2Device(DEV.named, 'switch.example.net', 'named-community'),
  ];
}

export const config = (list: DeviceAccess[], revision = 1): ConfigSync => ({
  revision,
  devices: list,
  schedules: [],
});

export const LINK_DOWN = '1.3.6.1.6.3.1.1.5.3';
export const LINK_UP = '1.3.6.1.6.3.1.1.5.4';
export const IF_INDEX_2: snmp.Varbind = {
  oid: '1.3.6.1.2.1.2.2.1.1.2',
  type: snmp.ObjectType.Integer,
  value: 2,
};
export const HC_OCTETS: snmp.Varbind = {
  oid: '1.3.6.1.2.1.31.1.1.1.6.2',
  type: snmp.ObjectType.Counter64,
  value: Buffer.from('ffffffffffffffff', 'hex'),
};

export async function until<T>(read: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      // One more look after pending I/O: a starved process runs this timer before the datagram.
      await new Promise((r) => setImmediate(r));
      const late = read();
      if (late !== undefined) return late;
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function trap(
  s: snmp.Session,
  oid: string | number,
  vbs: snmp.Varbind[] = [],
  options?: snmp.TrapOptions,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err: Error | null) => (err ? reject(err) : resolve());
    if (options) s.trap(oid, vbs, options, done);
    else s.trap(oid, vbs, done);
  });
}

/** Resolves with the receiver's answer (its GetResponse-PDU varbinds); rejects when unanswered. */
export function inform(s: snmp.Session, oid: string, vbs: snmp.Varbind[] = []): Promise<unknown[]> {
  return new Promise<unknown[]>((resolve, reject) =>
    s.inform(oid, vbs, (err, varbinds) => (err ? reject(err) : resolve(varbinds ?? []))),
  );
}

export class TrapHarness {
  readonly logs: Record<string, unknown>[] = [];
  wakes = 0;
  readonly receiver: TrapReceiver;
  readonly #sessions: snmp.Session[] = [];

  private constructor(
    readonly dir: string,
    readonly store: Store,
    communities: string[],
  ) {
    const sink = new Writable({
      write: (chunk, _enc, done) => {
        this.logs.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    this.receiver = new TrapReceiver({
      store,
      log: pino({ level: 'debug' }, sink),
      port: 0,
      host: '127.0.0.1',
      communities,
      onEvent: () => {
        this.wakes += 1;
      },
    });
  }

  /** Opens the store of `dir` (a new one by default, holding `devices()`) and starts a receiver. */
  static async start(opts: { dir?: string; communities?: string[] } = {}): Promise<TrapHarness> {
    const dir = opts.dir ?? join(tempDir('drm-trap-'), 'data');
    const store = Store.open(dir);
    if (store.desired.revision() < 0) store.desired.put(config(devices()));
    const h = new TrapHarness(dir, store, opts.communities ?? ['site-wide']);
    try {
      await h.receiver.start();
    } catch (err) {
      store.close();
      throw err;
    }
    return h;
  }

  /** A v1 or v2c sender bound to `sourceAddress`. */
  community(name: string, version: 1 | 2 = 2, sourceAddress = '127.0.0.1'): snmp.Session {
    return this.#track(
      snmp.createSession('127.0.0.1', name, {
        trapPort: this.receiver.port,
        version: version === 1 ? snmp.Version1 : snmp.Version2c,
        sourceAddress,
        timeout: 1000,
        retries: 0,
      }),
    );
  }

  /** An SNMPv3 sender bound to `sourceAddress`. */
  v3(user: snmp.User = V3_USER, sourceAddress = '127.0.0.3'): snmp.Session {
    return this.#track(
      snmp.createV3Session('127.0.0.1', user, {
        trapPort: this.receiver.port,
        version: snmp.Version3,
        sourceAddress,
        timeout: 1000,
        retries: 0,
      }),
    );
  }

  #track(session: snmp.Session): snmp.Session {
    this.#sessions.push(session);
    return session;
  }

  /** Waits until `count` events are queued and returns them, oldest first. */
  queued(count: number): Promise<TrapEvent[]> {
    return until(() => {
      const events = this.store.events.peek(1000);
      return events.length >= count ? events : undefined;
    }, `${count} queued events`);
  }

  dropped(reason: TrapDropReason, count: number): Promise<true> {
    return until(
      () => (this.receiver.stats.dropped[reason] >= count ? true : undefined),
      `${count} ${reason} drops`,
    );
  }

  async close(): Promise<void> {
    for (const s of this.#sessions.splice(0)) s.close();
    await this.receiver.stop();
    if (this.store.db.open) this.store.close();
  }
}
