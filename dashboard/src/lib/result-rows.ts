import type { JobResult } from '@drm/protocol';
import { type CsvColumn, toCsv } from './csv.js';
import { displayName } from './oid-names.js';

/** One line of a job's results: a varbind, a TR-181 value, or a target that returned nothing. */
export interface ResultRow {
  deviceId: string;
  device: string;
  status: JobResult['status'];
  /** OID or TR-181 path. */
  key: string;
  /** MIB name with instance (`ifDescr.2`), when known. */
  name: string;
  type: string;
  /** As the agent reported it: text for strings, hex when `encoding` is `hex`. */
  value: string;
  encoding: string;
  /** Why the target or this varbind has no value. */
  error: string;
  finishedAt: string;
}

/**
 * Flattens results into rows for the table and the CSV export, names resolved: the agent's
 * name when it sent one, else the dashboard's MIB table.
 */
export function resultRows(
  results: readonly JobResult[],
  deviceNames: ReadonlyMap<string, string>,
): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const r of results) {
    const base = {
      deviceId: r.deviceId,
      device: deviceNames.get(r.deviceId) ?? r.deviceId,
      status: r.status,
      finishedAt: r.finishedAt,
    };
    const failure = r.error ? `${r.error.code}: ${r.error.message}` : '';
    for (const vb of r.varbinds ?? []) {
      rows.push({
        ...base,
        key: vb.oid,
        name: displayName(vb.oid, vb.name) ?? '',
        type: vb.type,
        value: vb.value === null ? '' : String(vb.value),
        encoding: vb.encoding ?? '',
        error: vb.error ?? '',
      });
    }
    for (const tv of r.tr181 ?? []) {
      rows.push({ ...base, key: tv.path, name: '', type: tv.type, value: tv.value, encoding: '', error: '' });
    }
    const empty = (r.varbinds?.length ?? 0) + (r.tr181?.length ?? 0) === 0;
    if (empty || failure) {
      // A failed target keeps what it read (a walk over its budget) plus one line saying why.
      rows.push({ ...base, key: '', name: '', type: '', value: '', encoding: '', error: failure });
    }
  }
  return rows;
}

const COLUMNS: readonly CsvColumn<ResultRow>[] = [
  { header: 'device', value: (r) => r.device },
  { header: 'device_id', value: (r) => r.deviceId },
  { header: 'status', value: (r) => r.status },
  { header: 'oid_or_path', value: (r) => r.key },
  { header: 'name', value: (r) => r.name },
  { header: 'type', value: (r) => r.type },
  { header: 'value', value: (r) => r.value },
  { header: 'encoding', value: (r) => r.encoding },
  { header: 'error', value: (r) => r.error },
  { header: 'finished_at', value: (r) => r.finishedAt },
];

/** The results of a job as CSV, one line per value. */
export function resultsCsv(rows: readonly ResultRow[]): string {
  return toCsv(rows, COLUMNS);
}

/** The results as JSON: the API's objects, with each varbind's resolved name added. */
export function resultsJson(results: readonly JobResult[], deviceNames: ReadonlyMap<string, string>): string {
  const out = results.map((r) => ({
    ...r,
    deviceName: deviceNames.get(r.deviceId) ?? null,
    varbinds:
      r.varbinds?.map((vb) => ({ ...vb, name: displayName(vb.oid, vb.name) ?? vb.name ?? null })) ?? null,
  }));
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** `00155d01ff02` → `00:15:5d:01:ff:02`, the way people read MAC addresses and other bytes. */
export function hexForDisplay(hex: string): string {
  return hex.match(/.{1,2}/g)?.join(':') ?? '';
}
