import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/security/passwords.js';

describe('passwords', () => {
  it('hashes into the scrypt$N$r$p$salt$hash format and verifies', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const parts = hash.split('$');
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(Buffer.from(parts[4]!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(parts[5]!, 'base64url')).toHaveLength(32);
    expect(hash).not.toContain('correct horse');
    await expect(verifyPassword('correct horse battery staple', hash)).resolves.toBe(true);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same', b)).resolves.toBe(true);
  });

  it('refuses a wrong password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    await expect(verifyPassword('correct horse battery stapl', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  it('compares Unicode passwords after NFKC normalisation', async () => {
    const hash = await hashPassword('caf\u00e9');
    await expect(verifyPassword('cafe\u0301', hash)).resolves.toBe(true);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['empty', ''],
    ['a plain password', 'correct horse battery staple'],
    ['another scheme', '$2b$12$abcdefghijklmnopqrstuuv2C4l5hBnPq0AVqpq0X9.XQwUQa1f1e'],
    ['too few parts', 'scrypt$32768$8$1$c2FsdA'],
    ['non-numeric parameters', 'scrypt$x$y$z$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA'],
    ['parameters over the memory bound', 'scrypt$1048576$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA'],
    ['N not a power of two', 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA'],
    ['a truncated hash', 'scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA'],
  ])('answers false, never throws, for a malformed stored hash (%s)', async (_what, stored) => {
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(false);
  });
});
