/**
 * The few BER (X.690) forms an SNMP message uses: definite lengths, single-byte tags, INTEGER,
 * OCTET STRING, OBJECT IDENTIFIER and SEQUENCE. Reading is strict: anything else is refused,
 * and the caller then decides whether the datagram is dropped or handed to net-snmp.
 */

export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Sequence: 0x30,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Opaque: 0x44,
  Counter64: 0x46,
  NoSuchObject: 0x80,
  NoSuchInstance: 0x81,
  EndOfMibView: 0x82,
  GetRequest: 0xa0,
  GetNextRequest: 0xa1,
  Response: 0xa2,
  GetBulkRequest: 0xa5,
  Report: 0xa8,
} as const;

/** Bytes that are not the strict BER this reader accepts. */
export class Malformed extends Error {
  override readonly name = 'Malformed';
}

/**
 * One TLV header as read: its tag and where its content starts and ends. A reader reuses one
 * instance for a whole message, so reading allocates nothing.
 */
export class Tlv {
  tag = 0;
  start = 0;
  end = 0;

  /** Reads the header at `at`; the content must end by `limit`. Throws `Malformed`. */
  read(buf: Buffer, at: number, limit: number): this {
    if (at + 2 > limit) throw new Malformed('truncated header');
    const tag = buf[at]!;
    // High-tag-number form (X.690 section 8.1.2.4) never occurs in SNMP.
    if ((tag & 0x1f) === 0x1f) throw new Malformed('multi-byte tag');
    let length = buf[at + 1]!;
    let p = at + 2;
    if (length & 0x80) {
      const n = length & 0x7f;
      // Zero is the indefinite form, which SNMP does not use; four bytes cover any datagram.
      if (n === 0 || n > 4 || p + n > limit) throw new Malformed('bad length');
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
    }
    if (p + length > limit) throw new Malformed('content runs past its container');
    this.tag = tag;
    this.start = p;
    this.end = p + length;
    return this;
  }

  /** As `read`, and the tag must be `tag`. */
  expect(buf: Buffer, at: number, limit: number, tag: number): this {
    this.read(buf, at, limit);
    if (this.tag !== tag) throw new Malformed(`expected tag 0x${tag.toString(16)}`);
    return this;
  }
}

/**
 * An INTEGER's content as a number, read as net-snmp's BER reader reads it (two's complement,
 * big-endian) and refused where that reader throws: empty, or not a safe integer.
 */
export function readInteger(buf: Buffer, start: number, end: number): number {
  if (end <= start) throw new Malformed('empty integer');
  let value = buf.readInt8(start);
  for (let i = start + 1; i < end; i++) value = value * 256 + buf[i]!;
  if (!Number.isSafeInteger(value)) throw new Malformed('integer out of range');
  return value;
}

/** True when OID content is complete: at least one sub-identifier, the last one finished. */
export function completeOid(buf: Buffer, start: number, end: number): boolean {
  return end > start && (buf[end - 1]! & 0x80) === 0;
}

/** Scratch for OID text; longer OIDs (past what SNMP allows) get a buffer of their own. */
const textScratch = Buffer.allocUnsafe(4096);

/** Writes `value` (below 2^32) in decimal at `at`; returns where it ends. */
function putDecimal(out: Buffer, at: number, value: number): number {
  if (value < 10) {
    out[at] = 0x30 + value;
    return at + 1;
  }
  let length = 0;
  for (let v = value; v > 0; v = Math.floor(v / 10)) length += 1;
  let p = at + length;
  for (let v = value; v > 0; v = Math.floor(v / 10)) out[--p] = 0x30 + (v % 10);
  return at + length;
}

/**
 * OID content as dotted text, exactly as net-snmp's BER reader builds it (sub-identifiers
 * wrap at 32 bits; the first one splits into `x / 40` and `x % 40` whatever its size), so an
 * OID reads the same on either path. The caller has checked `completeOid`. The digits go to a
 * scratch buffer and become one flat string: a walk reads thousands of OIDs, and building each
 * arc by arc left a dozen intermediate strings apiece for the garbage collector.
 */
export function decodeOid(buf: Buffer, start: number, end: number): string {
  // Each content byte ends at most one sub-identifier of at most ten digits and a dot.
  const room = (end - start) * 11 + 8;
  const out = room > textScratch.length ? Buffer.allocUnsafe(room) : textScratch;
  let n = 0;
  let value = 0;
  let first = true;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    value = (value << 7) + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      const arc = value >>> 0;
      if (first) {
        n = putDecimal(out, n, (arc / 40) >> 0);
        out[n++] = 0x2e;
        n = putDecimal(out, n, arc % 40);
        first = false;
      } else {
        out[n++] = 0x2e;
        n = putDecimal(out, n, arc);
      }
      value = 0;
    }
  }
  return out.toString('latin1', 0, n);
}

const MAX_ARC = 0xffffffff;
/** 128 sub-identifiers (RFC 2578 section 3.5) of at most five bytes each, with room to spare. */
const oidScratch = new Uint8Array(1024);

/** Appends one sub-identifier in base 128 (X.690 section 8.19.2); `arc` is below 2^32. */
function putArc(out: Uint8Array, at: number, arc: number): number {
  let n = at;
  if (arc >= 0x10000000) out[n++] = 0x80 | (arc >>> 28);
  if (arc >= 0x200000) out[n++] = 0x80 | ((arc >>> 21) & 0x7f);
  if (arc >= 0x4000) out[n++] = 0x80 | ((arc >>> 14) & 0x7f);
  if (arc >= 0x80) out[n++] = 0x80 | ((arc >>> 7) & 0x7f);
  out[n++] = arc & 0x7f;
  return n;
}

/**
 * The sub-identifiers of a dotted OID as BER content, or `undefined` for an OID this encoder
 * leaves to net-snmp: fewer than two arcs, an arc past 32 bits, or a first sub-identifier of
 * 128 or more (net-snmp writes that one as a single byte, and its requests are the reference).
 */
export function encodeOid(oid: string): Buffer | undefined {
  let arcs = 0;
  let first = 0;
  let value = 0;
  let digits = 0;
  let n = 0;
  for (let i = 0; i <= oid.length; i++) {
    const c = i < oid.length ? oid.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      digits += 1;
      continue;
    }
    if (c !== 0x2e || digits === 0 || value > MAX_ARC || n > oidScratch.length - 5) return undefined;
    if (arcs === 0) {
      first = value;
    } else if (arcs === 1) {
      const sub = first * 40 + value;
      if (sub >= 0x80) return undefined;
      oidScratch[n++] = sub;
    } else {
      n = putArc(oidScratch, n, value);
    }
    arcs += 1;
    value = 0;
    digits = 0;
  }
  return arcs < 2 ? undefined : Buffer.from(oidScratch.subarray(0, n));
}

/**
 * Writes a message from its end towards its start, so each length is known when its header is
 * written and nothing is copied to make room for it.
 */
export class BackWriter {
  readonly buf: Buffer;
  pos: number;

  /** Over `buf` (a scratch buffer reused message after message), from its end. */
  constructor(buf: Buffer) {
    this.buf = buf;
    this.pos = buf.length;
  }

  /** What was written, as a new buffer (the scratch is written over by the next message). */
  copy(): Buffer {
    return Buffer.from(this.buf.subarray(this.pos));
  }

  /** Bytes written so far; a mark for `wrap`. */
  get size(): number {
    return this.buf.length - this.pos;
  }

  bytes(content: Uint8Array): void {
    this.pos -= content.length;
    if (this.pos < 0) throw new RangeError('message larger than its buffer');
    this.buf.set(content, this.pos);
  }

  zeros(count: number): void {
    this.pos -= count;
    if (this.pos < 0) throw new RangeError('message larger than its buffer');
    this.buf.fill(0, this.pos, this.pos + count);
  }

  byte(value: number): void {
    if (this.pos === 0) throw new RangeError('message larger than its buffer');
    this.buf[--this.pos] = value;
  }

  /** The header of everything written since `mark` (a former `size`). */
  wrap(tag: number, mark: number): void {
    let length = this.size - mark;
    if (length < 0x80) {
      this.byte(length);
    } else {
      let n = 0;
      while (length > 0) {
        this.byte(length & 0xff);
        length = Math.floor(length / 256);
        n += 1;
      }
      this.byte(0x80 | n);
    }
    this.byte(tag);
  }

  /** A non-negative INTEGER in the fewest bytes. */
  integer(value: number): void {
    const mark = this.size;
    let v = value;
    let top = 0;
    do {
      top = v & 0xff;
      this.byte(top);
      v = Math.floor(v / 256);
    } while (v > 0);
    if (top & 0x80) this.byte(0);
    this.wrap(Tag.Integer, mark);
  }

  octetString(content: Uint8Array): void {
    const mark = this.size;
    this.bytes(content);
    this.wrap(Tag.OctetString, mark);
  }
}
