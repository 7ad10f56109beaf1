import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashToken, newToken, type TokenKind } from '../../src/security/tokens.js';

describe('tokens', () => {
  it.each([
    ['session', 'drms_'],
    ['api', 'drma_'],
    ['enroll', 'drme_'],
    ['agent', 'drmg_'],
  ] as [TokenKind, string][])('a %s token starts with %s and carries 256 random bits', (kind, prefix) => {
    const token = newToken(kind);
    expect(token.startsWith(prefix)).toBe(true);
    const body = token.slice(prefix.length);
    expect(body).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(body, 'base64url')).toHaveLength(32);
  });

  it('never repeats', () => {
    const seen = new Set(Array.from({ length: 200 }, () => newToken('api')));
    expect(seen.size).toBe(200);
  });

  it('stores the SHA-256 of the token: 32 bytes, deterministic, distinct per token', () => {
    const token = newToken('session');
    const hash = hashToken(token);
    expect(hash).toHaveLength(32);
    expect(hash.equals(hashToken(token))).toBe(true);
    expect(hash.toString('hex')).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hash.equals(hashToken(newToken('session')))).toBe(false);
  });
});
