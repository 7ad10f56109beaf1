import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobDispatch, ResultRecord, SampleRecord, TrapEvent } from '@drm/protocol';
import { uuidv7 } from '@drm/protocol';
import { Store, type StoreOptions } from '../../src/store/index.js';

const dirs: string[] = [];

/** A fresh folder under the OS temp dir; `cleanupDirs()` removes them all. */
export function tempDir(prefix = 'drm-agent-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function cleanupDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Opens a store in a new temp folder (or `dir`); remember to close it. */
export function openStore(options: StoreOptions & { dir?: string } = {}): Store {
  return Store.open(options.dir ?? join(tempDir(), 'data'), options);
}

export const TENANT_ID = '0190a000-0000-7000-8000-000000000001';

/** An snmp.get dispatch to `deviceIds` (new random devices by default). */
export function dispatch(
  opts: { jobId?: string; deviceIds?: string[]; deadline?: string; targets?: number } = {},
): JobDispatch {
  const deviceIds = opts.deviceIds ?? Array.from({ length: opts.targets ?? 1 }, () => randomUUID());
  return {
    kind: 'snmp.get',
    params: { oids: ['1.3.6.1.2.1.1.1.0'], targetBudgetMs: 30_000 },
    jobId: opts.jobId ?? randomUUID(),
    tenantId: TENANT_ID,
    targets: deviceIds.map((deviceId, i) => ({
      deviceId,
      address: `192.0.2.${i + 1}`,
      snmp: { version: '2c', port: 161, community: 'secret-community' },
    })),
    deadline: opts.deadline ?? new Date(Date.now() + 3_600_000).toISOString(),
    createdAt: new Date().toISOString(),
  };
}

export function result(jobId: string, deviceId: string, extra: Partial<ResultRecord> = {}): ResultRecord {
  const now = new Date().toISOString();
  return {
    kind: 'result',
    id: uuidv7(),
    jobId,
    deviceId,
    status: 'succeeded',
    startedAt: now,
    finishedAt: now,
    varbinds: [{ oid: '1.3.6.1.2.1.1.1.0', type: 'OctetString', value: 'Linux edge 6.1' }],
    ...extra,
  };
}

/** A sample whose JSON is padded by `pad` characters of text, to control its size. */
export function sample(pad = 0, extra: Partial<SampleRecord> = {}): SampleRecord {
  return {
    kind: 'sample',
    id: uuidv7(),
    scheduleId: '0190a000-0000-7000-8000-00000000000a',
    deviceId: '0190a000-0000-7000-8000-00000000000b',
    ts: new Date().toISOString(),
    oid: '1.3.6.1.2.1.2.2.1.10.1',
    type: 'Counter32',
    valueNum: 42,
    ...(pad > 0 && { valueText: 'x'.repeat(pad) }),
    ...extra,
  };
}

/** JSON size of an item as the outbox counts it. */
export function sizeOf(item: ResultRecord | SampleRecord): number {
  return Buffer.byteLength(JSON.stringify(item));
}

/** A v2c linkDown trap as the receiver stores it, with two varbinds. */
export function trapEvent(over: Partial<TrapEvent> = {}): TrapEvent {
  return {
    id: uuidv7(),
    receivedAt: new Date().toISOString(),
    source: { address: '192.0.2.7', port: 50162 },
    version: '2c',
    pdu: 'trap',
    trapOid: '1.3.6.1.6.3.1.1.5.3',
    uptime: 4200,
    varbinds: [
      { oid: '1.3.6.1.2.1.2.2.1.1.2', type: 'Integer', value: 2 },
      { oid: '1.3.6.1.2.1.31.1.1.1.6.2', type: 'Counter64', value: '18446744073709551615' },
    ],
    ...over,
  };
}
