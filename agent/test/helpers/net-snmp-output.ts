import { normalizeOid, type SnmpValueType, type Varbind } from '@drm/protocol';

/**
 * Reads what Net-SNMP's C tools print with `-On` and no MIBs (`.1.3.6.1.2.1.1.1.0 = STRING:
 * "Linux"`), so tests and the benchmark can compare the driver's varbinds with theirs.
 */

export interface ToolVarbind {
  oid: string;
  /** As printed: `STRING`, `Hex-STRING`, `INTEGER`, `Timeticks`, …; `exception` for "No more variables…". */
  type: string;
  text: string;
}

const LINE = /^(\.?\d+(?:\.\d+)*) = (.*)$/;
const TYPED = /^([A-Za-z][A-Za-z0-9 -]*?): ?(.*)$/s;

const TYPE_NAMES: Readonly<Record<string, SnmpValueType>> = {
  STRING: 'OctetString',
  'Hex-STRING': 'OctetString',
  INTEGER: 'Integer',
  Counter32: 'Counter32',
  Gauge32: 'Gauge32',
  Timeticks: 'TimeTicks',
  Counter64: 'Counter64',
  OID: 'ObjectIdentifier',
  IpAddress: 'IpAddress',
  Opaque: 'Opaque',
  NULL: 'Null',
};

function parseValue(oid: string, value: string): ToolVarbind {
  // An empty OCTET STRING is printed as a bare `""`.
  if (value === '""') return { oid, type: 'STRING', text: '""' };
  const typed = TYPED.exec(value);
  if (typed && TYPE_NAMES[typed[1] ?? ''] !== undefined)
    return { oid, type: typed[1] ?? '', text: typed[2] ?? '' };
  return { oid, type: 'exception', text: value };
}

/** Records of one tool run; long values continue on the following lines. */
export function parseToolOutput(stdout: string): ToolVarbind[] {
  const records: { oid: string; value: string }[] = [];
  for (const line of stdout.split('\n')) {
    const start = LINE.exec(line);
    if (start) records.push({ oid: normalizeOid(start[1] ?? ''), value: start[2] ?? '' });
    else if (records.length > 0 && line !== '') {
      const last = records[records.length - 1];
      if (last) last.value += `\n${line}`;
    }
  }
  return records.map((r) => parseValue(r.oid, r.value.trimEnd()));
}

/** The protocol type a printed type stands for. */
export function toolType(v: ToolVarbind): SnmpValueType | undefined {
  return TYPE_NAMES[v.type];
}

/** `"a \"b\""` as printed → its bytes. */
function quotedBytes(text: string): Buffer {
  const inner = text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
  return Buffer.from(inner.replace(/\\(["\\])/g, '$1'), 'utf8');
}

/**
 * The value in one canonical form for comparison, or `undefined` where the tool's formatting is
 * not a plain rendering of the value (Opaque is decoded into `Float: …`).
 */
export function toolCanonicalValue(v: ToolVarbind): string | undefined {
  switch (v.type) {
    case 'STRING':
      return quotedBytes(v.text).toString('hex');
    case 'Hex-STRING':
      return v.text.replace(/\s+/g, '').toLowerCase();
    case 'Timeticks':
      return /^\((\d+)\)/.exec(v.text)?.[1];
    case 'OID':
      return normalizeOid(v.text);
    case 'INTEGER':
    case 'Counter32':
    case 'Gauge32':
    case 'Counter64':
    case 'IpAddress':
      return v.text;
    default:
      return undefined;
  }
}

/** The driver's varbind in the same canonical form. */
export function driverCanonicalValue(vb: Varbind): string {
  if (vb.type === 'OctetString') {
    return vb.encoding === 'hex' ? String(vb.value) : Buffer.from(String(vb.value), 'utf8').toString('hex');
  }
  return String(vb.value);
}
