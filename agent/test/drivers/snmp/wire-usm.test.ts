import { createHmac, randomBytes } from 'node:crypto';
import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import type { SnmpAuthProtocol, SnmpPrivProtocol } from '@drm/protocol';
import {
  cipherAvailable,
  localizeKey,
  localizeKeys,
  SaltCounter,
  UsmSecurity,
} from '../../../src/drivers/snmp/wire/usm.js';

/**
 * The USM of the own message layer against net-snmp's own functions: keys localised alike
 * (including both AES-256 key extensions), and each side decrypts what the other encrypted.
 */

interface Engine {
  engineID: Buffer;
  engineBoots: number;
  engineTime: number;
}

/** net-snmp's exported USM internals (not in @types/net-snmp). */
interface NetSnmpUsm {
  Authentication: {
    passwordToKey(authProtocol: number, password: string, engineID: Buffer): Buffer;
  };
  Encryption: {
    algorithms: Record<
      number,
      {
        KEY_LENGTH: number;
        localizationAlgorithm(
          algorithm: unknown,
          authProtocol: number,
          password: string,
          engineID: Buffer,
        ): Buffer;
      }
    >;
    encryptPdu(
      privProtocol: number,
      scopedPdu: Buffer,
      privPassword: string,
      authProtocol: number,
      engine: Engine,
    ): { encryptedPdu: Buffer; msgPrivacyParameters: Buffer };
    decryptPdu(
      privProtocol: number,
      encryptedPdu: Buffer,
      privParameters: Buffer,
      privPassword: string,
      authProtocol: number,
      engine: Engine,
    ): Buffer;
  };
}

const usm = snmp as unknown as NetSnmpUsm;
const AUTHS: SnmpAuthProtocol[] = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'];
const PRIVS: SnmpPrivProtocol[] = ['des', 'aes', 'aes256b', 'aes256r'];
const ENGINE_ID = Buffer.from('80001f8880e9bd0c1d12667a5100000000', 'hex');
const HASHES: Record<SnmpAuthProtocol, string> = {
  md5: 'md5',
  sha: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};

describe('USM key localisation', () => {
  it('matches RFC 3414 appendix A.3 (MD5 and SHA with "maplesyrup")', () => {
    const engineId = Buffer.from('000000000000000000000002', 'hex');
    expect(localizeKey('md5', 'maplesyrup', engineId).toString('hex')).toBe(
      '526f5eed9fcce26f8964c2930787d82b',
    );
    expect(localizeKey('sha1', 'maplesyrup', engineId).toString('hex')).toBe(
      '6695febc9288e36282235fc7151f128497b38f3f',
    );
  });

  it.each(AUTHS)('localises %s auth keys as net-snmp does', (auth) => {
    const ours = localizeKey(HASHES[auth], 'auth-pass-phrase', ENGINE_ID);
    expect(ours).toEqual(
      usm.Authentication.passwordToKey(snmp.AuthProtocols[auth], 'auth-pass-phrase', ENGINE_ID),
    );
  });

  it.each(AUTHS.flatMap((auth) => PRIVS.map((priv) => [auth, priv] as const)))(
    'localises %s/%s priv keys as net-snmp does',
    (auth, priv) => {
      const keys = localizeKeys(
        { authProtocol: auth, authKey: 'auth-pass-phrase', privProtocol: priv, privKey: 'priv-pass-phrase' },
        ENGINE_ID,
      );
      const algorithm = usm.Encryption.algorithms[snmp.PrivProtocols[priv]]!;
      const theirs = algorithm.localizationAlgorithm(
        algorithm,
        snmp.AuthProtocols[auth],
        'priv-pass-phrase',
        ENGINE_ID,
      );
      expect(keys.priv?.key.export()).toEqual(theirs);
      if (priv === 'des') {
        const kul = usm.Authentication.passwordToKey(snmp.AuthProtocols[auth], 'priv-pass-phrase', ENGINE_ID);
        expect(keys.priv?.preIv).toEqual(kul.subarray(8, 16));
      }
    },
  );
});

describe('USM privacy', () => {
  const cases = AUTHS.flatMap((auth) => PRIVS.map((priv) => [auth, priv] as const));

  it.each(cases)(
    '%s/%s: net-snmp decrypts what we encrypt, and we decrypt what it encrypts',
    (auth, priv) => {
      const creds = {
        authProtocol: auth,
        authKey: 'auth-pass-phrase',
        privProtocol: priv,
        privKey: 'priv-pass-phrase',
      };
      const security = new UsmSecurity(localizeKeys(creds, ENGINE_ID));
      const engine: Engine = { engineID: ENGINE_ID, engineBoots: 7, engineTime: 123_456 };
      const authProtocol = snmp.AuthProtocols[auth];
      const privProtocol = snmp.PrivProtocols[priv];
      if (!cipherAvailable(priv)) {
        // This Node build lacks the cipher (OpenSSL 3 without its legacy provider): the session
        // then leaves every page to net-snmp, which reports it (see wire-session.test.ts).
        expect(() => security.encrypt(Buffer.alloc(8), 7, 123_456, Buffer.alloc(8))).toThrow();
        return;
      }
      for (const size of [1, 15, 16, 17, 48, 61, 300, 1400]) {
        const plain = randomBytes(size);
        const salt = security.nextSalt();
        const encrypted = security.encrypt(plain, 7, 123_456, salt);
        const decrypted = usm.Encryption.decryptPdu(
          privProtocol,
          encrypted,
          salt,
          creds.privKey,
          authProtocol,
          engine,
        );
        expect(decrypted.subarray(0, size)).toEqual(plain);

        const theirs = usm.Encryption.encryptPdu(privProtocol, plain, creds.privKey, authProtocol, engine);
        const ours = security.decrypt(theirs.encryptedPdu, theirs.msgPrivacyParameters, 7, 123_456);
        expect(ours?.subarray(0, size)).toEqual(plain);
      }
    },
  );

  it('never repeats a salt within a session, across a carry', () => {
    const salts = new SaltCounter();
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(salts.next().toString('hex'));
    expect(seen.size).toBe(10_000);
  });

  it('refuses privacy parameters that are not eight bytes', () => {
    const security = new UsmSecurity(
      localizeKeys(
        { authProtocol: 'sha', authKey: 'auth-pass', privProtocol: 'aes', privKey: 'priv-pass' },
        ENGINE_ID,
      ),
    );
    expect(security.decrypt(Buffer.alloc(32), Buffer.alloc(7), 1, 1)).toBeUndefined();
  });

  it('refuses an empty ciphertext instead of throwing', () => {
    for (const privProtocol of ['aes', 'aes256b'] as const) {
      const security = new UsmSecurity(
        localizeKeys(
          { authProtocol: 'sha', authKey: 'auth-pass', privProtocol, privKey: 'priv-pass' },
          ENGINE_ID,
        ),
      );
      expect(security.decrypt(Buffer.alloc(0), Buffer.alloc(8), 1, 1)).toBeUndefined();
    }
  });
});

describe('USM authentication', () => {
  it.each(AUTHS)('%s: signs with the truncated HMAC and checks it in place', (auth) => {
    const security = new UsmSecurity(
      localizeKeys({ authProtocol: auth, authKey: 'auth-pass-phrase' }, ENGINE_ID),
    );
    const length = security.digestLength;
    expect(length).toBe({ md5: 12, sha: 12, sha224: 16, sha256: 24, sha384: 32, sha512: 48 }[auth]);
    const message = randomBytes(200);
    const at = 40;
    message.fill(0, at, at + length);
    const key = localizeKey(HASHES[auth], 'auth-pass-phrase', ENGINE_ID);
    const expected = createHmac(HASHES[auth], key).update(message).digest().subarray(0, length);
    const digest = security.digest(message);
    expect(digest).toEqual(expected);
    digest.copy(message, at);
    const signed = Buffer.from(message);
    expect(security.isAuthentic(Buffer.from(signed), at, length)).toBe(true);
    const tampered = Buffer.from(signed);
    tampered[150] = tampered[150]! ^ 1;
    expect(security.isAuthentic(tampered, at, length)).toBe(false);
    expect(security.isAuthentic(Buffer.from(signed), at, length - 1)).toBe(false);
  });
});
