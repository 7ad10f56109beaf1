import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/security/secret-box.js';

const AAD = 'tenant-a:credential-1';

function flip(buf: Buffer, index: number): Buffer {
  const copy = Buffer.from(buf);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32), 'k1');

  it.each(['public', '', 'pässwörd ✓ 🔑', 'x'.repeat(10_000)])('round-trips %j', (plain) => {
    expect(box.open(box.seal(plain, AAD), AAD)).toBe(plain);
  });

  it('opens a Uint8Array as read back from the database', () => {
    const sealed = box.seal('community', AAD);
    expect(box.open(new Uint8Array(sealed), AAD)).toBe('community');
  });

  it('uses a fresh IV each time and never stores the plaintext', () => {
    const a = box.seal('same secret', AAD);
    const b = box.seal('same secret', AAD);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(Buffer.from('same secret'))).toBe(false);
    expect(a[0]).toBe(1);
  });

  it('refuses other associated data: a ciphertext copied to another row does not open', () => {
    const sealed = box.seal('private', AAD);
    expect(() => box.open(sealed, 'tenant-b:credential-1')).toThrow();
    expect(() => box.open(sealed, '')).toThrow();
  });

  it('refuses another key', () => {
    const sealed = box.seal('private', AAD);
    expect(() => new SecretBox(randomBytes(32), 'k2').open(sealed, AAD)).toThrow();
  });

  it.each([
    ['the IV', 1],
    ['the tag', 13],
    ['the ciphertext', 29],
    ['the last byte', -1],
  ])('detects tampering with %s', (_what, at) => {
    const sealed = box.seal('private value', AAD);
    expect(() => box.open(flip(sealed, at < 0 ? sealed.length + at : at), AAD)).toThrow();
  });

  it('refuses an unknown version or a truncated value', () => {
    const sealed = box.seal('private', AAD);
    expect(() => box.open(flip(sealed, 0), AAD)).toThrow(/unknown format/);
    expect(() => box.open(sealed.subarray(0, 20), AAD)).toThrow(/unknown format/);
    expect(() => box.open(sealed.subarray(0, sealed.length - 1), AAD)).toThrow();
  });

  it('needs a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16), 'short')).toThrow(/32-byte/);
    expect(new SecretBox(randomBytes(32), 'fp').keyId).toBe('fp');
  });
});
