import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAgentLogger } from '../src/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createAgentLogger('info', sink) };
}

describe('agent logger', () => {
  it('redacts communities, keys, passwords and tokens wherever a log call puts them', async () => {
    const { lines, log } = capture();
    log.info(
      {
        community: 'c0mmunity',
        device: { community: 'nested-community', authKey: 'auth-secret', privKey: 'priv-secret' },
        mqtt: { password: 'mqtt-secret' },
        token: 'enrollment-secret',
        trap: { communities: ['extra-community'] },
      },
      'config',
    );
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines);
    for (const secret of [
      'c0mmunity',
      'nested-community',
      'auth-secret',
      'priv-secret',
      'mqtt-secret',
      'enrollment-secret',
      'extra-community',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({ name: 'drm-agent', community: '[redacted]', msg: 'config' });
  });

  it('keeps the trap receiver’s drop counts readable', async () => {
    const { lines, log } = capture();
    log.info({ dropped: { 'unknown-community': 2, 'unknown-user': 1, auth: 0 } }, 'trap receiver stopped');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]?.dropped).toEqual({ 'unknown-community': 2, 'unknown-user': 1, auth: 0 });
  });
});
