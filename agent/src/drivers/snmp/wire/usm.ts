import {
  type Cipher,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { SnmpAuthProtocol, SnmpPrivProtocol } from '@drm/protocol';

/**
 * The User-based Security Model for our own requests (RFC 3414): password to key and key
 * localisation (section 2.6, appendix A.2), HMAC-MD5-96 and HMAC-SHA-96 (sections 6 and 7),
 * HMAC-SHA-2 (RFC 7860), CBC-DES (section 8) and CFB-AES (RFC 3826), and the two AES-256 key
 * extensions net-snmp implements, so that a device net-snmp reaches is reached alike.
 */

interface AuthAlgorithm {
  hash: string;
  /** msgAuthenticationParameters length: the truncated HMAC (RFC 3414 sections 6 and 7, RFC 7860 section 4.2). */
  digestLength: number;
}

const AUTH: Readonly<Record<SnmpAuthProtocol, AuthAlgorithm>> = {
  md5: { hash: 'md5', digestLength: 12 },
  sha: { hash: 'sha1', digestLength: 12 },
  sha224: { hash: 'sha224', digestLength: 16 },
  sha256: { hash: 'sha256', digestLength: 24 },
  sha384: { hash: 'sha384', digestLength: 32 },
  sha512: { hash: 'sha512', digestLength: 48 },
};

type KeyExtension = 'none' | 'blumenthal' | 'reeder';

interface PrivAlgorithm {
  cipher: 'des-cbc' | 'aes-128-cfb' | 'aes-256-cfb';
  keyLength: number;
  extension: KeyExtension;
}

const PRIV: Readonly<Record<SnmpPrivProtocol, PrivAlgorithm>> = {
  des: { cipher: 'des-cbc', keyLength: 8, extension: 'none' },
  aes: { cipher: 'aes-128-cfb', keyLength: 16, extension: 'none' },
  // draft-blumenthal-aes-usm-04 section 3.1.2.1: Kul || H(Kul) || ...
  aes256b: { cipher: 'aes-256-cfb', keyLength: 32, extension: 'blumenthal' },
  // draft-reeder-snmpv3-usm-3desede-00 section 2.1: Kul || localise(Kul as a password) || ...
  aes256r: { cipher: 'aes-256-cfb', keyLength: 32, extension: 'reeder' },
};

/** RFC 3414 appendix A.2: the password is repeated over this many bytes and hashed. */
const PASSWORD_EXPANSION = 1_048_576;
/** RFC 3414 section 8.1.1.1 and RFC 3826 section 3.1.2.1: 64 bits of salt. */
const SALT_LENGTH = 8;

export interface UsmCredentials {
  authProtocol?: SnmpAuthProtocol | undefined;
  authKey?: string | undefined;
  privProtocol?: SnmpPrivProtocol | undefined;
  privKey?: string | undefined;
}

export interface AuthKey {
  hash: string;
  key: KeyObject;
  digestLength: number;
}

export interface PrivKey {
  cipher: PrivAlgorithm['cipher'];
  key: KeyObject;
  /** CBC-DES only: the pre-IV, the localised key's second eight bytes. */
  preIv?: Buffer | undefined;
}

/** Keys localised to one authoritative engine: what every message of a session uses. */
export interface LocalizedKeys {
  auth?: AuthKey | undefined;
  priv?: PrivKey | undefined;
}

/** RFC 3414 appendix A.2.1 (A.2.2 for SHA, RFC 7860 section 9.3 for SHA-2): Ku, then Kul. */
export function localizeKey(hash: string, password: string | Buffer, engineId: Buffer): Buffer {
  const ku = createHash(hash).update(Buffer.alloc(PASSWORD_EXPANSION, password)).digest();
  return createHash(hash).update(ku).update(engineId).update(ku).digest();
}

function extendKey(auth: AuthAlgorithm, priv: PrivAlgorithm, password: string, engineId: Buffer): Buffer {
  let kul = localizeKey(auth.hash, password, engineId);
  let key = kul;
  while (key.length < priv.keyLength) {
    kul =
      priv.extension === 'reeder'
        ? localizeKey(auth.hash, kul, engineId)
        : createHash(auth.hash).update(key).digest();
    key = Buffer.concat([key, kul]);
  }
  return key;
}

/** Localises the session's keys to `engineId`. Done once per engine: it hashes a megabyte per key. */
export function localizeKeys(creds: UsmCredentials, engineId: Buffer): LocalizedKeys {
  if (!creds.authProtocol || creds.authKey === undefined) return {};
  const auth = AUTH[creds.authProtocol];
  const keys: LocalizedKeys = {
    auth: {
      hash: auth.hash,
      key: createSecretKey(localizeKey(auth.hash, creds.authKey, engineId)),
      digestLength: auth.digestLength,
    },
  };
  if (creds.privProtocol && creds.privKey !== undefined) {
    const priv = PRIV[creds.privProtocol];
    const material = extendKey(auth, priv, creds.privKey, engineId);
    keys.priv = {
      cipher: priv.cipher,
      key: createSecretKey(material.subarray(0, priv.keyLength)),
      preIv: priv.cipher === 'des-cbc' ? Buffer.from(material.subarray(8, 16)) : undefined,
    };
  }
  return keys;
}

/**
 * Per-message salt: a 64-bit counter from a random start, so no two messages of a session share
 * an IV and no random bytes are drawn per message (RFC 3826 section 3.1.2.1 asks only that the
 * salt not repeat for one key).
 */
export class SaltCounter {
  #high: number;
  #low: number;

  constructor() {
    const seed = randomBytes(SALT_LENGTH);
    this.#high = seed.readUInt32BE(0);
    this.#low = seed.readUInt32BE(4);
  }

  next(): Buffer {
    this.#low = (this.#low + 1) >>> 0;
    if (this.#low === 0) this.#high = (this.#high + 1) >>> 0;
    const salt = Buffer.allocUnsafe(SALT_LENGTH);
    salt.writeUInt32BE(this.#high, 0);
    salt.writeUInt32BE(this.#low, 4);
    return salt;
  }
}

/** RFC 3826 section 3.1.2.1: IV = msgAuthoritativeEngineBoots | msgAuthoritativeEngineTime | salt. */
function aesIv(boots: number, time: number, salt: Buffer): Buffer {
  const iv = Buffer.allocUnsafe(16);
  iv.writeUInt32BE(boots >>> 0, 0);
  iv.writeUInt32BE(time >>> 0, 4);
  salt.copy(iv, 8, 0, SALT_LENGTH);
  return iv;
}

/** RFC 3414 section 8.1.1.1: IV = pre-IV XOR salt. */
function desIv(preIv: Buffer, salt: Buffer): Buffer {
  const iv = Buffer.allocUnsafe(8);
  for (let i = 0; i < 8; i++) iv[i] = preIv[i]! ^ salt[i]!;
  return iv;
}

function run(cipher: Cipher, data: Buffer): Buffer {
  const head = cipher.update(data);
  const tail = cipher.final();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** DES pads the scoped PDU with zeros to whole blocks (RFC 3414 section 8.1.1.2). */
function padDes(plain: Buffer): Buffer {
  return plain.length % 8 === 0 ? plain : Buffer.concat([plain, Buffer.alloc(8 - (plain.length % 8))]);
}

const AES_BLOCK = 16;

/**
 * The security of one session's messages with one engine, keys localised once. Making an
 * OpenSSL context costs more than using it on messages this small (OpenSSL 3 looks the
 * algorithm up by name, under a lock, each time), so CFB-AES makes none per message: it runs
 * on one ECB context kept for the session, CFB being ECB encryption of the previous ciphertext
 * block XORed with the plaintext (NIST SP 800-38A section 6.3). The HMAC takes one context
 * per message (copies of keyed hash states cost two, and measured slower).
 */
export class UsmSecurity {
  readonly keys: LocalizedKeys;
  readonly #salts = new SaltCounter();
  #ecb: Cipher | undefined;

  constructor(keys: LocalizedKeys) {
    this.keys = keys;
  }

  get digestLength(): number {
    return this.keys.auth?.digestLength ?? 0;
  }

  /** The truncated HMAC of a whole message whose digest field holds zeros. */
  digest(message: Buffer): Buffer {
    const auth = this.keys.auth!;
    return createHmac(auth.hash, auth.key).update(message).digest().subarray(0, auth.digestLength);
  }

  /**
   * RFC 3414 section 3.2 step 6: checks the digest at `at` over the whole message with that
   * field zeroed, in constant time. The field is zeroed in place: the message is ours.
   */
  isAuthentic(message: Buffer, at: number, length: number): boolean {
    if (!this.keys.auth || length !== this.digestLength) return false;
    const received = Buffer.from(message.subarray(at, at + length));
    message.fill(0, at, at + length);
    return timingSafeEqual(received, this.digest(message));
  }

  /** The next salt: what msgPrivacyParameters carries, and the IV is made from. */
  nextSalt(): Buffer {
    return this.#salts.next();
  }

  /** Encrypts a scoped PDU for a message carrying `boots`, `time` and `salt`. */
  encrypt(plain: Buffer, boots: number, time: number, salt: Buffer): Buffer {
    const priv = this.keys.priv!;
    if (priv.cipher === 'des-cbc') {
      const cipher = createCipheriv('des-cbc', priv.key, desIv(priv.preIv!, salt));
      cipher.setAutoPadding(false);
      return run(cipher, padDes(plain));
    }
    // C1 = P1 XOR E(IV), Ci = Pi XOR E(Ci-1); the last block may be short.
    const ecb = this.#aesEcb(priv);
    const out = Buffer.allocUnsafe(plain.length);
    let feedback = aesIv(boots, time, salt);
    for (let at = 0; at < plain.length; at += AES_BLOCK) {
      const stream = ecb.update(feedback);
      const end = Math.min(plain.length, at + AES_BLOCK);
      for (let i = at; i < end; i++) out[i] = plain[i]! ^ stream[i - at]!;
      feedback = out.subarray(at, at + AES_BLOCK);
    }
    return out;
  }

  /** Decrypts a scoped PDU, or `undefined` when it cannot be (RFC 3414 section 8.3.2 step 1). */
  decrypt(encrypted: Buffer, privParameters: Buffer, boots: number, time: number): Buffer | undefined {
    const priv = this.keys.priv;
    // An empty ciphertext holds no scoped PDU (and AES would have no block to start from).
    if (!priv || privParameters.length !== SALT_LENGTH || encrypted.length === 0) return undefined;
    if (priv.cipher === 'des-cbc') {
      if (encrypted.length % 8 !== 0) return undefined;
      const decipher = createDecipheriv('des-cbc', priv.key, desIv(priv.preIv!, privParameters));
      decipher.setAutoPadding(false);
      return run(decipher, encrypted);
    }
    // Every Ci is known: one ECB pass over IV | C1 | ... | Cn-1 gives the whole key stream.
    const n = encrypted.length;
    const blocks = Math.ceil(n / AES_BLOCK);
    const input = Buffer.allocUnsafe(blocks * AES_BLOCK);
    aesIv(boots, time, privParameters).copy(input, 0);
    encrypted.copy(input, AES_BLOCK, 0, (blocks - 1) * AES_BLOCK);
    const stream = this.#aesEcb(priv).update(input);
    for (let i = 0; i < n; i++) stream[i] = stream[i]! ^ encrypted[i]!;
    return stream.subarray(0, n);
  }

  #aesEcb(priv: PrivKey): Cipher {
    if (!this.#ecb) {
      this.#ecb = createCipheriv(
        priv.cipher === 'aes-128-cfb' ? 'aes-128-ecb' : 'aes-256-ecb',
        priv.key,
        null,
      );
      this.#ecb.setAutoPadding(false);
    }
    return this.#ecb;
  }
}

/** Whether this Node build has the cipher (OpenSSL 3 keeps DES in its legacy provider). */
export function cipherAvailable(protocol: SnmpPrivProtocol): boolean {
  const { cipher, keyLength } = PRIV[protocol];
  try {
    createCipheriv(cipher, Buffer.alloc(keyLength), Buffer.alloc(cipher === 'des-cbc' ? 8 : 16));
    return true;
  } catch {
    return false;
  }
}

export function digestLength(protocol: SnmpAuthProtocol): number {
  return AUTH[protocol].digestLength;
}
