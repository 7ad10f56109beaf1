import { SampleRecord, uuidv7, type Varbind } from '@drm/protocol';

export interface SampleContext {
  scheduleId: string;
  deviceId: string;
  /** When the device answered. */
  ts: string;
  now: number;
}

/** Why a varbind gave no sample, for the log. */
export interface SkippedVarbind {
  oid: string;
  reason: string;
}

const NUMERIC = new Set<Varbind['type']>(['Integer', 'Counter32', 'Gauge32', 'TimeTicks']);

/** The value fields of one varbind: numbers in `valueNum`, everything else as text. */
function sampleValue(vb: Varbind): Pick<SampleRecord, 'valueNum' | 'valueText'> | null {
  if (vb.error !== undefined || vb.type === 'Null' || vb.value === null) return null;
  if (NUMERIC.has(vb.type)) return { valueNum: Number(vb.value) };
  // A double for charts (exact up to 2^53) and the exact decimal beside it.
  if (vb.type === 'Counter64') return { valueNum: Number(vb.value), valueText: String(vb.value) };
  // OctetString (UTF-8 or hex), ObjectIdentifier, IpAddress, Opaque (hex).
  return { valueText: String(vb.value) };
}

/**
 * The samples of one poll: one per varbind that holds a value. Exceptions (noSuchObject…),
 * Null, and values the protocol cannot carry (text over 64 KiB) are skipped and listed.
 */
export function toSamples(
  varbinds: readonly Varbind[],
  ctx: SampleContext,
): { samples: SampleRecord[]; skipped: SkippedVarbind[] } {
  const samples: SampleRecord[] = [];
  const skipped: SkippedVarbind[] = [];
  for (const vb of varbinds) {
    const value = sampleValue(vb);
    if (value === null) {
      skipped.push({ oid: vb.oid, reason: vb.error ?? 'no value' });
      continue;
    }
    const parsed = SampleRecord.safeParse({
      kind: 'sample',
      id: uuidv7(ctx.now),
      scheduleId: ctx.scheduleId,
      deviceId: ctx.deviceId,
      ts: ctx.ts,
      oid: vb.oid,
      ...(vb.name !== undefined && { name: vb.name }),
      type: vb.type,
      ...value,
    });
    if (parsed.success) samples.push(parsed.data);
    else skipped.push({ oid: vb.oid, reason: parsed.error.issues[0]?.message ?? 'invalid sample' });
  }
  return { samples, skipped };
}
