import { createHash, randomBytes } from 'node:crypto';

/** Prefixes make a leaked token recognisable to secret scanners and to people. */
export type TokenKind = 'session' | 'api' | 'enroll' | 'agent' | 'invite';
const PREFIX: Record<TokenKind, string> = {
  session: 'drms_',
  api: 'drma_',
  enroll: 'drme_',
  agent: 'drmg_',
  invite: 'drmi_',
};

/** A new random token (256 bits) with its kind's prefix. */
export function newToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

/** What the database stores: SHA-256 of the token. Tokens are random, so no salt is needed. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
