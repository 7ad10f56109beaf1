import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

describe('hub logger', () => {
  it('redacts request credentials, passwords, tokens, communities and keys', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger('info', 'hub', sink);
    log.info(
      {
        req: { headers: { authorization: 'Bearer api-secret', cookie: 'drm_session=cookie-secret' } },
        body: { password: 'user-secret', token: 'enroll-secret' },
        snmp: { community: 'community-secret', authKey: 'auth-secret', privKey: 'priv-secret' },
      },
      'request',
    );
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    for (const secret of [
      'api-secret',
      'cookie-secret',
      'user-secret',
      'enroll-secret',
      'community-secret',
      'auth-secret',
      'priv-secret',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({
      name: 'hub',
      msg: 'request',
      snmp: { community: '[redacted]' },
    });
  });
});
