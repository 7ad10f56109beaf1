import { BackWriter, Malformed, readInteger, Tag, Tlv } from './ber.js';
import type { UsmSecurity } from './usm.js';

/**
 * SNMP messages for the pages of a walk: GetBulk and GetNext requests out (RFC 3416 section 3,
 * RFC 3412 section 6 for SNMPv3), and the headers of what comes back. Varbinds are read in
 * `varbinds.ts`; security in `usm.ts`.
 */

export const VERSION_1 = 0;
export const VERSION_2C = 1;
export const VERSION_3 = 3;
/** RFC 3414: the User-based Security Model's number in msgSecurityModel. */
const USM = 3;
/** msgMaxSize: the largest UDP payload over IPv4, as net-snmp announces. */
const MAX_MESSAGE_SIZE = 65507;

const EMPTY = Buffer.alloc(0);

export const Flags = { auth: 0x01, priv: 0x02, reportable: 0x04 } as const;

/** The PDU of a walk page: one OID, and for GetBulk non-repeaters 0 and max-repetitions. */
export interface PageRequest {
  type: typeof Tag.GetBulkRequest | typeof Tag.GetNextRequest | typeof Tag.GetRequest;
  requestId: number;
  /** BER content of the OID, from `encodeOid`; empty for a PDU without varbinds (discovery). */
  oid: Buffer | undefined;
  maxRepetitions: number;
}

/**
 * Scratch space messages are written in, one for a scoped PDU and one for the message around
 * it; encoding is synchronous, so one pair serves every session. Room for any request of a
 * walk: an OID of 128 arcs, a 255-byte community, SNMPv3 headers with 32-byte names.
 */
const scopedScratch = Buffer.allocUnsafe(4096);
const messageScratch = Buffer.allocUnsafe(8192);

function writePdu(w: BackWriter, pdu: PageRequest): void {
  const pduMark = w.size;
  const listMark = w.size;
  if (pdu.oid) {
    const vbMark = w.size;
    w.byte(0);
    w.byte(Tag.Null);
    w.bytes(pdu.oid);
    w.wrap(Tag.Oid, vbMark + 2);
    w.wrap(Tag.Sequence, vbMark);
  }
  w.wrap(Tag.Sequence, listMark);
  const bulk = pdu.type === Tag.GetBulkRequest;
  w.integer(bulk ? pdu.maxRepetitions : 0);
  w.integer(0);
  w.integer(pdu.requestId);
  w.wrap(pdu.type, pduMark);
}

/** An SNMPv1 or SNMPv2c message (RFC 3416 section 3 with RFC 1901's community). */
export function encodeCommunityRequest(version: number, community: Buffer, pdu: PageRequest): Buffer {
  const w = new BackWriter(messageScratch);
  writePdu(w, pdu);
  w.octetString(community);
  w.integer(version);
  w.wrap(Tag.Sequence, 0);
  return w.copy();
}

/** What an SNMPv3 request carries besides its PDU (RFC 3412 section 6, RFC 3414 section 2.4). */
export interface V3Request {
  msgId: number;
  flags: number;
  engineId: Buffer;
  boots: number;
  time: number;
  userName: Buffer;
  contextEngineId: Buffer;
  contextName: Buffer;
  /** Signs and encrypts as `flags` say; absent for discovery. */
  security: UsmSecurity | undefined;
}

function scopedPdu(req: V3Request, pdu: PageRequest): Buffer {
  const w = new BackWriter(scopedScratch);
  writePdu(w, pdu);
  w.octetString(req.contextName);
  w.octetString(req.contextEngineId);
  w.wrap(Tag.Sequence, 0);
  return w.buf.subarray(w.pos);
}

/**
 * An SNMPv3 message, encrypted and signed as its flags say: the digest field is written as
 * zeros, the HMAC taken over the whole message, then written into that field (RFC 3414
 * section 3.1 steps 8 and 9).
 */
export function encodeV3Request(req: V3Request, pdu: PageRequest): Buffer {
  const security = req.security;
  const plain = scopedPdu(req, pdu);
  const encrypting = (req.flags & Flags.priv) !== 0 && security !== undefined;
  const signing = (req.flags & Flags.auth) !== 0 && security !== undefined;
  const { boots, time } = req;
  let salt: Buffer = EMPTY;
  const w = new BackWriter(messageScratch);
  if (encrypting) {
    salt = security.nextSalt();
    w.octetString(security.encrypt(plain, boots, time, salt));
  } else {
    w.bytes(plain);
  }
  // msgSecurityParameters: an OCTET STRING holding the USM SEQUENCE.
  const paramsMark = w.size;
  w.octetString(salt);
  const digestLength = signing ? security.digestLength : 0;
  w.zeros(digestLength);
  // Distance of the digest field's content from the end of the message.
  const digestFromEnd = w.size;
  w.wrap(Tag.OctetString, digestFromEnd - digestLength);
  w.octetString(req.userName);
  w.integer(time);
  w.integer(boots);
  w.octetString(req.engineId);
  w.wrap(Tag.Sequence, paramsMark);
  w.wrap(Tag.OctetString, paramsMark);
  // msgGlobalData.
  const headerMark = w.size;
  w.integer(USM);
  w.byte(req.flags);
  w.byte(1);
  w.byte(Tag.OctetString);
  w.integer(MAX_MESSAGE_SIZE);
  w.integer(req.msgId);
  w.wrap(Tag.Sequence, headerMark);
  w.integer(VERSION_3);
  w.wrap(Tag.Sequence, 0);
  const message = w.copy();
  if (signing) security.digest(message).copy(message, message.length - digestFromEnd);
  return message;
}

/** Where the PDU of a v1/v2c response lies, and its community. */
export interface CommunityResponse {
  /** Where the message's SEQUENCE ends; net-snmp reads on to the end of the datagram. */
  end: number;
  version: number;
  communityStart: number;
  communityEnd: number;
  pduAt: number;
}

/** The header of an SNMPv1/v2c message. */
export function parseCommunityMessage(buf: Buffer): CommunityResponse {
  const tlv = new Tlv().expect(buf, 0, buf.length, Tag.Sequence);
  const end = tlv.end;
  tlv.expect(buf, tlv.start, end, Tag.Integer);
  const version = readInteger(buf, tlv.start, tlv.end);
  tlv.expect(buf, tlv.end, end, Tag.OctetString);
  return { end, version, communityStart: tlv.start, communityEnd: tlv.end, pduAt: tlv.end };
}

export interface Pdu {
  type: number;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  /** The varbind list's content. */
  listStart: number;
  listEnd: number;
}

/** A response PDU that fills `[at, limit)` exactly (RFC 3416 section 3). */
export function parsePdu(buf: Buffer, at: number, limit: number): Pdu {
  const tlv = new Tlv().read(buf, at, limit);
  if (tlv.end !== limit) throw new Malformed('bytes after the PDU');
  const type = tlv.tag;
  const end = tlv.end;
  tlv.expect(buf, tlv.start, end, Tag.Integer);
  const requestId = readInteger(buf, tlv.start, tlv.end);
  tlv.expect(buf, tlv.end, end, Tag.Integer);
  const errorStatus = readInteger(buf, tlv.start, tlv.end);
  tlv.expect(buf, tlv.end, end, Tag.Integer);
  const errorIndex = readInteger(buf, tlv.start, tlv.end);
  tlv.expect(buf, tlv.end, end, Tag.Sequence);
  if (tlv.end !== end) throw new Malformed('bytes after the varbind list');
  return { type, requestId, errorStatus, errorIndex, listStart: tlv.start, listEnd: tlv.end };
}

/** The parts of an SNMPv3 message a response is checked and decrypted with. */
export interface V3Message {
  msgId: number;
  flags: number;
  engineId: Buffer;
  boots: number;
  time: number;
  /** Offset and length of msgAuthenticationParameters in the message. */
  digestAt: number;
  digestLength: number;
  privParameters: Buffer;
  /** An encrypted scoped PDU (OCTET STRING content) or a plain one (the SEQUENCE itself). */
  dataStart: number;
  dataEnd: number;
  encrypted: boolean;
}

/** The header and USM parameters of an SNMPv3 message (RFC 3412 section 6, RFC 3414 section 2.4). */
export function parseV3Message(buf: Buffer): V3Message {
  const tlv = new Tlv().expect(buf, 0, buf.length, Tag.Sequence);
  const end = tlv.end;
  tlv.expect(buf, tlv.start, end, Tag.Integer);
  if (readInteger(buf, tlv.start, tlv.end) !== VERSION_3) throw new Malformed('not SNMPv3');
  const header = new Tlv().expect(buf, tlv.end, end, Tag.Sequence);
  tlv.expect(buf, header.start, header.end, Tag.Integer);
  const msgId = readInteger(buf, tlv.start, tlv.end);
  tlv.expect(buf, tlv.end, header.end, Tag.Integer);
  tlv.expect(buf, tlv.end, header.end, Tag.OctetString);
  if (tlv.end - tlv.start !== 1) throw new Malformed('msgFlags');
  const flags = buf[tlv.start]!;
  tlv.expect(buf, tlv.end, header.end, Tag.Integer);
  if (readInteger(buf, tlv.start, tlv.end) !== USM) throw new Malformed('not USM');
  const params = new Tlv().expect(buf, header.end, end, Tag.OctetString);
  const usm = new Tlv().expect(buf, params.start, params.end, Tag.Sequence);
  tlv.expect(buf, usm.start, usm.end, Tag.OctetString);
  const engineId = buf.subarray(tlv.start, tlv.end);
  tlv.expect(buf, tlv.end, usm.end, Tag.Integer);
  const boots = readInteger(buf, tlv.start, tlv.end);
  tlv.expect(buf, tlv.end, usm.end, Tag.Integer);
  const time = readInteger(buf, tlv.start, tlv.end);
  tlv.expect(buf, tlv.end, usm.end, Tag.OctetString);
  tlv.expect(buf, tlv.end, usm.end, Tag.OctetString);
  const digestAt = tlv.start;
  const digestLength = tlv.end - tlv.start;
  tlv.expect(buf, tlv.end, usm.end, Tag.OctetString);
  const privParameters = buf.subarray(tlv.start, tlv.end);
  const encrypted = (flags & Flags.priv) !== 0;
  const data = new Tlv().expect(buf, params.end, end, encrypted ? Tag.OctetString : Tag.Sequence);
  return {
    msgId,
    flags,
    engineId,
    boots,
    time,
    digestAt,
    digestLength,
    privParameters,
    dataStart: encrypted ? data.start : params.end,
    dataEnd: data.end,
    encrypted,
  };
}

/** Where the PDU of a scoped PDU lies (RFC 3412 section 6: contextEngineID, contextName, data). */
export function parseScopedPdu(buf: Buffer, at: number, limit: number): { pduAt: number; pduEnd: number } {
  const scoped = new Tlv().expect(buf, at, limit, Tag.Sequence);
  const tlv = new Tlv().expect(buf, scoped.start, scoped.end, Tag.OctetString);
  tlv.expect(buf, tlv.end, scoped.end, Tag.OctetString);
  return { pduAt: tlv.end, pduEnd: scoped.end };
}
