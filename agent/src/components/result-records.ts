import { type ResultError, type ResultRecord, uuidv7, type Varbind } from '@drm/protocol';

/**
 * Largest JSON of one result record. A `results` message may carry 256 KiB
 * (`MAX_MESSAGE_BYTES`); half of it leaves room for the envelope and for a record that is
 * larger than the aim because one varbind alone is (a 64 KiB OctetString sent as hex).
 */
export const MAX_RECORD_BYTES = 128 * 1024;

/** What one target produced, before it gets ids and is split: the driver's result or the executor's own. */
export interface TargetOutcome {
  status: ResultRecord['status'];
  startedAt: string;
  finishedAt: string;
  varbinds?: Varbind[] | undefined;
  error?: ResultError | undefined;
}

export interface RecordKey {
  jobId: string;
  deviceId: string;
}

const MAX_MESSAGE = 2000;

/** A failed outcome with no data, e.g. `not-supported` or `internal`. */
export function failedOutcome(
  code: string,
  message: string,
  startedAt: Date,
  finishedAt = startedAt,
): TargetOutcome {
  const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
  return {
    status: 'failed',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    error: { code, message: text },
  };
}

function bytesOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Groups varbinds so that each group's JSON array fits in `room` bytes; never an empty group. */
function chunkVarbinds(varbinds: readonly Varbind[], room: number): Varbind[][] {
  const chunks: Varbind[][] = [];
  let current: Varbind[] = [];
  let used = 2; // the brackets
  for (const vb of varbinds) {
    const size = bytesOf(vb) + 1; // and its comma
    if (current.length > 0 && used + size > room) {
      chunks.push(current);
      current = [];
      used = 2;
    }
    current.push(vb);
    used += size;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks;
}

/**
 * The result records of one target, with fresh UUIDv7 ids. A result whose JSON passes
 * `maxBytes` is split into records with `part: {index, count}`: each carries a slice of the
 * varbinds, in order, and the same status, times and error, which is how the hub groups the
 * parts back into one result.
 */
export function toResultRecords(
  key: RecordKey,
  outcome: TargetOutcome,
  opts: { now: number; maxBytes?: number },
): ResultRecord[] {
  const maxBytes = opts.maxBytes ?? MAX_RECORD_BYTES;
  const base: ResultRecord = {
    kind: 'result',
    id: uuidv7(opts.now),
    jobId: key.jobId,
    deviceId: key.deviceId,
    status: outcome.status,
    startedAt: outcome.startedAt,
    finishedAt: outcome.finishedAt,
  };
  if (outcome.error) base.error = outcome.error;
  const varbinds = outcome.varbinds;
  if (varbinds === undefined) return [base];
  const whole: ResultRecord = { ...base, varbinds };
  if (bytesOf(whole) <= maxBytes) return [whole];

  // The widest part field, so the room left for varbinds holds for every part.
  const overhead = bytesOf({ ...base, part: { index: 99_999, count: 100_000 }, varbinds: [] });
  const chunks = chunkVarbinds(varbinds, Math.max(1, maxBytes - overhead));
  return chunks.map((slice, index) => ({
    ...base,
    id: index === 0 ? base.id : uuidv7(opts.now),
    varbinds: slice,
    part: { index, count: chunks.length },
  }));
}
