import { join } from 'node:path';
import { z } from 'zod';
import { INVALID_INBOUND_KEY, type InvalidCounts } from './link/index.js';
import {
  DB_FILE,
  type EventQueueStats,
  type Identity,
  type InboxCounts,
  type OutboxSummary,
  Store,
} from './store/index.js';

/** What `drm-agent status` reports; read from the data folder alone, without the hub. */
export interface StatusReport {
  dataDir: string;
  /** False when the folder holds no store at all. */
  hasStore: boolean;
  enrolled: boolean;
  /** Without the MQTT password. */
  identity:
    | (Omit<Identity, 'mqtt' | 'previousMqttPassword'> & { mqtt: { url: string; username: string } })
    | null;
  link: {
    /** As last recorded by the agent; `unknown` before its first connection attempt. */
    state: 'connected' | 'disconnected' | 'unknown';
    since: string | null;
    lastContactAt: string | null;
  };
  jobs: InboxCounts;
  outbox: OutboxSummary & { oldestAgeSeconds: number | null };
  desiredState: { revision: number; devices: number; schedules: number; storedAt: string | null };
  /** Traps and informs waiting for the hub's ack, and those the queue's bound dropped. */
  traps: EventQueueStats & { oldestAgeSeconds: number | null };
  /** Messages from the hub dropped as invalid since the agent last started. */
  invalidInbound: InvalidCounts;
  quarantined: number;
}

const EMPTY_JOBS: InboxCounts = { queued: 0, running: 0, done: 0, cancelled: 0 };
const NO_INVALID: InvalidCounts = { total: 0, byChannel: {}, byReason: {} };

const StoredInvalidCounts = z.object({
  total: z.int().min(0),
  byChannel: z.record(z.string(), z.int().min(0)),
  byReason: z.record(z.string(), z.int().min(0)),
});

/** The counts the link keeps in meta; a value that does not parse reads as none. */
function invalidCounts(raw: string | null): InvalidCounts {
  if (raw === null) return NO_INVALID;
  try {
    const parsed = StoredInvalidCounts.safeParse(JSON.parse(raw));
    return parsed.success ? (parsed.data as InvalidCounts) : NO_INVALID;
  } catch {
    return NO_INVALID;
  }
}

const ageOf = (at: string | undefined | null, now: number) =>
  at ? Math.max(0, (now - Date.parse(at)) / 1000) : null;

/** Reads the store read-only (safe beside a running agent). */
export function readStatus(dataDir: string, opts: { outboxMaxBytes: number; now?: number }): StatusReport {
  const now = opts.now ?? Date.now();
  const store = Store.openReadOnly(dataDir, { outboxMaxBytes: opts.outboxMaxBytes });
  if (!store) {
    return {
      dataDir,
      hasStore: false,
      enrolled: false,
      identity: null,
      link: { state: 'unknown', since: null, lastContactAt: null },
      jobs: { ...EMPTY_JOBS },
      outbox: {
        count: 0,
        bytes: 0,
        dropped: 0,
        evicted: 0,
        refused: 0,
        results: 0,
        samples: 0,
        maxBytes: opts.outboxMaxBytes,
        oldestAgeSeconds: null,
      },
      desiredState: { revision: -1, devices: 0, schedules: 0, storedAt: null },
      traps: { count: 0, bytes: 0, dropped: 0, oldestAgeSeconds: null },
      invalidInbound: NO_INVALID,
      quarantined: 0,
    };
  }
  try {
    const identity = store.identity.get();
    const link = store.meta.link();
    const outbox = store.outbox.stats();
    const desired = store.desired.current();
    const traps = store.events.stats();
    return {
      dataDir,
      hasStore: true,
      enrolled: identity !== null,
      // Named fields only: no MQTT password (the current one, or the one before a rotation).
      identity: identity && {
        agentId: identity.agentId,
        tenantId: identity.tenantId,
        siteId: identity.siteId,
        name: identity.name,
        hubUrl: identity.hubUrl,
        mqtt: { url: identity.mqtt.url, username: identity.mqtt.username },
        enrolledAt: identity.enrolledAt,
      },
      link: {
        state: link?.state ?? 'unknown',
        since: link?.since ?? null,
        lastContactAt: store.meta.lastContactAt(),
      },
      jobs: store.inbox.counts(),
      outbox: {
        ...outbox,
        oldestAgeSeconds: ageOf(outbox.oldestAt, now),
      },
      desiredState: desired
        ? {
            revision: desired.revision,
            devices: desired.config.devices.length,
            schedules: desired.config.schedules.length,
            storedAt: desired.storedAt,
          }
        : { revision: -1, devices: 0, schedules: 0, storedAt: null },
      traps: { ...traps, oldestAgeSeconds: ageOf(traps.oldestAt, now) },
      invalidInbound: invalidCounts(store.meta.get(INVALID_INBOUND_KEY)),
      quarantined: store.quarantine.count(),
    };
  } finally {
    store.close();
  }
}

/** `3d 4h`, `5m 2s`, `12s`: the two largest units. */
export function formatAge(seconds: number): string {
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  let rest = Math.floor(seconds);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function when(iso: string | null, now: number): string {
  if (!iso) return 'never';
  return `${iso} (${formatAge(Math.max(0, (now - Date.parse(iso)) / 1000))} ago)`;
}

/** The human-readable form: one `label  value` line each. */
export function formatStatus(r: StatusReport, now = Date.now()): string {
  const lines: [string, string][] = [['Data folder', r.dataDir]];
  if (!r.enrolled) {
    lines.push(['Agent', `not enrolled (drm-agent enroll --hub URL --token TOKEN --data-dir ${r.dataDir})`]);
    if (!r.hasStore) return table(lines);
  }
  if (r.identity) {
    const i = r.identity;
    lines.push(
      ['Agent', `${i.name} (${i.agentId})`],
      ['Tenant', i.tenantId],
      ['Site', i.siteId],
      ['Hub', i.hubUrl],
      ['MQTT', `${i.mqtt.url} as ${i.mqtt.username}`],
      ['Enrolled', i.enrolledAt],
    );
  }
  const link =
    r.link.state === 'unknown' ? 'no connection recorded yet' : `${r.link.state} since ${r.link.since}`;
  const o = r.outbox;
  const oldest = o.oldestAgeSeconds === null ? '' : `; oldest ${formatAge(o.oldestAgeSeconds)} old`;
  const d = r.desiredState;
  lines.push(
    ['Hub link', `${link}; last contact ${when(r.link.lastContactAt, now)}`],
    [
      'Jobs',
      `${r.jobs.queued} queued, ${r.jobs.running} running (kept: ${r.jobs.done} done, ${r.jobs.cancelled} cancelled)`,
    ],
    [
      'Outbox',
      `${count(o.count, 'item')} (${count(o.results, 'result')}, ${count(o.samples, 'sample')}), ${formatBytes(o.bytes)} of ${formatBytes(o.maxBytes)}${oldest}`,
    ],
    ['Dropped', `${count(o.dropped, 'sample')} (${o.evicted} evicted to make room, ${o.refused} refused)`],
    [
      'Traps',
      `${count(r.traps.count, 'event')} (${formatBytes(r.traps.bytes)}) waiting for the hub${
        r.traps.oldestAgeSeconds === null ? '' : `; oldest ${formatAge(r.traps.oldestAgeSeconds)} old`
      }; ${count(r.traps.dropped, 'event')} dropped when the queue was full`,
    ],
    ['Invalid from hub', invalidLine(r.invalidInbound)],
    [
      'Desired state',
      d.revision < 0
        ? 'none received yet'
        : `revision ${d.revision}: ${count(d.devices, 'device')}, ${count(d.schedules, 'schedule')} (stored ${d.storedAt})`,
    ],
  );
  if (r.quarantined > 0) {
    lines.push([
      'Quarantined',
      `${r.quarantined} invalid rows (see the quarantine table in ${join(r.dataDir, DB_FILE)})`,
    ]);
  }
  return table(lines);
}

/** `none since start`, or `3 since start (schema 2, malformed 1)`. */
function invalidLine(c: InvalidCounts): string {
  if (c.total === 0) return 'none since the agent started';
  const reasons = Object.entries(c.byReason)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return `${count(c.total, 'message')} dropped since the agent started (${reasons})`;
}

function table(lines: [string, string][]): string {
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
