/**
 * RFC 9562 UUIDv7: a 48-bit Unix millisecond timestamp, then version and variant bits around
 * 74 random bits. Ids made this way sort by creation time, which keeps B-tree inserts local in
 * PostgreSQL and lets the agent's outbox drain in order.
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const UUIDV7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const MAX_TIMESTAMP = 2 ** 48 - 1;
/** rand_a is 12 bits; RFC 9562 section 6.2 method 1 uses it as a counter within one millisecond. */
const COUNTER_MAX = 0xfff;

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A UUIDv7 factory with its own monotonic state. */
export type Uuidv7Generator = (now?: number) => string;

/**
 * Creates a UUIDv7 generator. Ids from one generator strictly increase: within one
 * millisecond the 12-bit `rand_a` field is a counter seeded randomly with its top bit clear
 * (RFC 9562 section 6.2, method 1); when it overflows, or when the clock steps backwards,
 * the timestamp is carried forward from the last id instead of going back.
 */
export function uuidv7Generator(): Uuidv7Generator {
  let lastMs = -1;
  let counter = 0;
  return (now = Date.now()) => {
    let ms = Math.floor(now);
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIMESTAMP) {
      throw new RangeError(`uuidv7: timestamp ${now} is outside 0..2^48-1 milliseconds`);
    }
    const bytes = new Uint8Array(16);
    globalThis.crypto.getRandomValues(bytes);
    if (ms <= lastMs) {
      ms = lastMs;
      counter += 1;
      if (counter > COUNTER_MAX) {
        ms = lastMs + 1;
        counter = seedCounter(bytes);
      }
    } else {
      counter = seedCounter(bytes);
    }
    lastMs = ms;
    // 48-bit big-endian timestamp; split because bitwise operators truncate to 32 bits.
    const high = Math.floor(ms / 2 ** 16);
    bytes[0] = (high >>> 24) & 0xff;
    bytes[1] = (high >>> 16) & 0xff;
    bytes[2] = (high >>> 8) & 0xff;
    bytes[3] = high & 0xff;
    bytes[4] = (ms >>> 8) & 0xff;
    bytes[5] = ms & 0xff;
    bytes[6] = 0x70 | (counter >>> 8); // version 7
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f); // variant 10xx
    return format(bytes);
  };
}

function seedCounter(bytes: Uint8Array): number {
  // Top bit clear leaves at least 2048 increments before an overflow in the same millisecond.
  return (((bytes[6] ?? 0) & 0x07) << 8) | (bytes[7] ?? 0);
}

function format(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[bytes[i] ?? 0];
  }
  return out;
}

/**
 * Returns a new lower-case UUIDv7. Ids from one process strictly increase; a `now` earlier than
 * the previous id's time is raised to it, so pass `now` only to fix the time in tests.
 */
export const uuidv7: Uuidv7Generator = uuidv7Generator();

/** True for an RFC 9562 UUID (versions 1-8, variant 10xx), in either case. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** True for a UUIDv7. */
export function isUuidv7(value: unknown): value is string {
  return typeof value === 'string' && UUIDV7_RE.test(value);
}

/** The Unix millisecond timestamp of a UUIDv7, or `null` if `id` is not one. */
export function uuidv7Timestamp(id: string): number | null {
  if (!isUuidv7(id)) return null;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
