import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DB_FILE,
  type Identity,
  SCHEMA_VERSION,
  SchemaVersionError,
  Store,
  StoreCorruptError,
  StoreLockedError,
} from '../../src/store/index.js';
import { cleanupDirs, dispatch, openStore, result, sample, tempDir } from './fixtures.js';

const open: Store[] = [];
function track(store: Store): Store {
  open.push(store);
  return store;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  cleanupDirs();
});

const mode = (path: string) => statSync(path).mode & 0o777;

const IDENTITY: Identity = {
  agentId: '0190a000-0000-7000-8000-0000000000a1',
  tenantId: '0190a000-0000-7000-8000-0000000000a2',
  siteId: '0190a000-0000-7000-8000-0000000000a3',
  name: 'edge-1',
  hubUrl: 'https://hub.example.net',
  mqtt: { url: 'mqtts://hub.example.net:8883', username: 'agent-a1', password: 'agent_s3cret' },
  enrolledAt: '2025-03-01T12:00:00.000Z',
};

const ROTATION = '0190a000-0000-7000-8000-0000000000c1';

describe('a new MQTT password from the hub', () => {
  it('goes to the identity with the config that carries it, keeping the one before, never into the stored config', () => {
    const store = track(openStore());
    store.identity.set(IDENTITY);
    const config = {
      revision: 4,
      devices: [],
      schedules: [],
      credentials: { rotationId: ROTATION, mqttPassword: 'agent_n3w-s3cret-0001' },
    };
    // The acknowledgement names the rotation: the agent holds its password now.
    expect(store.desired.put(config)).toEqual({
      stored: true,
      revision: 4,
      newPassword: true,
      rotationId: ROTATION,
    });
    expect(store.identity.get()).toEqual({
      ...IDENTITY,
      mqtt: { ...IDENTITY.mqtt, password: 'agent_n3w-s3cret-0001' },
      previousMqttPassword: IDENTITY.mqtt.password,
    });
    expect(store.desired.current()?.config).toEqual({ revision: 4, devices: [], schedules: [] });
    expect(JSON.stringify(store.db.prepare('SELECT body FROM desired_state').get())).not.toContain('n3w');
    // The same password again (a re-sent config) changes nothing; a stale revision's is not taken.
    expect(store.desired.put(config)).toEqual({
      stored: true,
      revision: 4,
      newPassword: false,
      rotationId: ROTATION,
    });
    expect(store.identity.get()?.previousMqttPassword).toBe(IDENTITY.mqtt.password);
    // A stale config's password is neither taken nor acknowledged.
    const stale = {
      ...config,
      revision: 3,
      credentials: {
        rotationId: '0190a000-0000-7000-8000-0000000000c2',
        mqttPassword: 'agent_0ld-s3cret-0002',
      },
    };
    expect(store.desired.put(stale)).toEqual({ stored: false, revision: 4, newPassword: false });
    expect(store.identity.get()?.mqtt.password).toBe('agent_n3w-s3cret-0001');
    // Enrolling again starts over, without a previous password.
    store.identity.set(IDENTITY);
    expect(store.identity.get()).toEqual(IDENTITY);
  });
});

describe('opening the store', () => {
  it('uses WAL, synchronous=FULL, a busy timeout, and the current schema version', () => {
    const store = track(openStore());
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const everyVersion = Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1);
    expect(store.report).toEqual({ migrated: everyVersion, requeued: 0 });
    // Writes that may skip their own fsync put FULL back afterwards.
    const d = dispatch();
    store.inbox.put(d);
    expect(store.inbox.markRunning(d.jobId, d.targets[0]!.deviceId)).toBe(true);
    store.meta.recordContact();
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('keeps the data private: folder 0700, database and WAL files 0600', () => {
    const parent = tempDir();
    const dir = join(parent, 'data');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const store = track(Store.open(dir));
    store.identity.set(IDENTITY);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, DB_FILE))).toBe(0o600);
    expect(mode(join(dir, `${DB_FILE}-wal`))).toBe(0o600);
    expect(mode(join(dir, `${DB_FILE}-shm`))).toBe(0o600);
  });

  it('migrates once: a reopen applies nothing', () => {
    const dir = join(tempDir(), 'data');
    Store.open(dir).close();
    const again = track(Store.open(dir));
    expect(again.report.migrated).toEqual([]);
  });

  it('lets one writer in at a time, and readers beside it', () => {
    const dir = join(tempDir(), 'data');
    const writer = track(Store.open(dir));
    expect(() => Store.open(dir)).toThrow(StoreLockedError);
    writer.identity.set(IDENTITY);
    const reader = track(Store.openReadOnly(dir)!);
    expect(reader.identity.get()).toEqual(IDENTITY);
    expect(() => reader.identity.set(IDENTITY)).toThrow(/readonly/i);
    writer.close();
    track(Store.open(dir)); // the lock went with the writer
  });

  it('opens nothing read-only where there is no store, and creates nothing', () => {
    const dir = join(tempDir(), 'empty');
    expect(Store.openReadOnly(dir)).toBeNull();
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a store written by a newer build, read-write and read-only', () => {
    const dir = join(tempDir(), 'data');
    Store.open(dir).close();
    const raw = new Database(join(dir, DB_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => Store.open(dir)).toThrow(SchemaVersionError);
    expect(() => Store.openReadOnly(dir)).toThrow(/newer drm-agent/);
    // The failed open released the folder's lock.
    const raw2 = new Database(join(dir, DB_FILE));
    raw2.pragma(`user_version = ${SCHEMA_VERSION}`);
    raw2.close();
    track(Store.open(dir));
  });
});

describe('identity and meta', () => {
  it('stores the identity and reads it back validated', () => {
    const dir = join(tempDir(), 'data');
    const store = Store.open(dir);
    expect(store.identity.get()).toBeNull();
    store.identity.set(IDENTITY);
    store.close();
    const again = track(Store.open(dir));
    expect(again.identity.get()).toEqual(IDENTITY);
    again.db.prepare(`UPDATE identity SET hub_url = 'ftp://nope'`).run();
    expect(() => again.identity.get()).toThrow(StoreCorruptError);
    expect(() => again.identity.get()).toThrow(/identity.*hubUrl/);
  });

  it('keeps last contact and link state', () => {
    const store = track(openStore({ now: () => Date.parse('2025-03-01T12:00:00.000Z') }));
    expect(store.meta.lastContactAt()).toBeNull();
    expect(store.meta.link()).toBeNull();
    store.meta.recordContact();
    store.meta.setLink('connected');
    expect(store.meta.lastContactAt()).toBe('2025-03-01T12:00:00.000Z');
    expect(store.meta.link()).toEqual({ state: 'connected', since: '2025-03-01T12:00:00.000Z' });
    store.meta.set('last_contact_at', 'yesterday');
    expect(store.meta.lastContactAt()).toBeNull();
  });

  it('reset forgets everything but keeps item sequence numbers rising', () => {
    const store = track(openStore({ outboxMaxBytes: 1000 }));
    store.identity.set(IDENTITY);
    const d = dispatch();
    store.inbox.put(d);
    store.outbox.appendMany([sample(), sample(), result(d.jobId, d.targets[0]!.deviceId)]);
    store.outbox.append(sample(2000)); // refused
    const lastSeq = store.outbox.peekBatch(10, 1e9).at(-1)!.seq;
    store.reset();
    expect(store.identity.get()).toBeNull();
    expect(store.inbox.counts()).toEqual({ queued: 0, running: 0, done: 0, cancelled: 0 });
    expect(store.outbox.stats()).toMatchObject({ count: 0, bytes: 0, dropped: 0 });
    store.outbox.append(sample());
    expect(store.outbox.peekBatch(1, 1e9)[0]!.seq).toBe(lastSeq + 1);
  });
});
