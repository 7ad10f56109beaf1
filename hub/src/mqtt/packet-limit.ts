import type { Client } from 'aedes';
import { MAX_MESSAGE_BYTES } from '@drm/protocol';

/**
 * The largest packet a connection may send before its credentials are accepted. A CONNECT
 * holds a client id, a user name, a password and the agent's will (its small `status`
 * message): a few hundred bytes. Anyone who can reach the port can send one, without
 * credentials.
 */
export const MAX_PACKET_BEFORE_CONNECT = 16 * 1024;

/**
 * The largest packet an authenticated agent may send. A publish over the protocol's message
 * limit up to this size is read, refused by `checkPublish` and counted as `too-large`; one
 * past it closes the connection as soon as its header says so, before any of it is held.
 */
export const MAX_PACKET_AFTER_CONNECT = 4 * MAX_MESSAGE_BYTES;

interface PacketParser {
  packet: { length: number };
  _parseLength(): boolean;
}

/**
 * Bounds what one connection can make the broker hold. MQTT lets a packet declare up to 256
 * MiB, and the broker's parser gathers a whole packet before any hook sees it (the size check
 * of a publish comes after): without a bound, a few unauthenticated connections claiming huge
 * CONNECT packets fill the hub's memory. The bound is applied where the parser has just read a
 * packet's remaining length, so nothing past the fixed header is kept; `refuse` then closes the
 * connection.
 *
 * It reaches into aedes' client and mqtt-packet's parser (versions pinned in package.json);
 * if their shape changes, this throws, and every connection is refused rather than left open
 * to the attack.
 */
export function limitPacketSize(
  client: Client,
  /**
   * Whether the connection's credentials were accepted. Not aedes' `connected`, which it sets
   * only after a persistent session's queued messages went out: an agent's first publishes
   * would meet the bound of an unauthenticated connection until then.
   */
  authenticated: () => boolean,
  refuse: (declared: number, limit: number, authenticated: boolean) => void,
): void {
  const parser = (client as unknown as { _parser?: Partial<PacketParser> })._parser;
  const parseLength = parser?._parseLength;
  if (!parser || typeof parseLength !== 'function' || typeof parser.packet?.length !== 'number') {
    throw new Error('the MQTT parser is not the one the packet size bound was written for');
  }
  parser._parseLength = function boundedParseLength(this: PacketParser): boolean {
    if (!parseLength.call(this)) return false;
    const known = authenticated();
    const limit = known ? MAX_PACKET_AFTER_CONNECT : MAX_PACKET_BEFORE_CONNECT;
    if (this.packet.length <= limit) return true;
    refuse(this.packet.length, limit, known);
    // Stops this parse; the connection is closed and reads nothing more.
    return false;
  };
}
