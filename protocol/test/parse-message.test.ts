import { describe, expect, it } from 'vitest';
import {
  CHANNELS,
  CHANNEL_MESSAGE_TYPES,
  MAX_CONFIG_BYTES,
  MAX_MESSAGE_BYTES,
  encodeMessage,
  maxMessageBytes,
  makeEnvelope,
  messageFor,
  parseMessage,
  sameJson,
  uuidv7Timestamp,
} from '../src/index.js';
import type { ChannelMessage } from '../src/index.js';

/** A config of `n` v3 devices: about 330 bytes each. */
function bigConfig(n: number): ChannelMessage<'config'> {
  const devices = Array.from({ length: n }, (_, i) => ({
    deviceId: `7908c7b9-74da-4d74-b2d7-${i.toString(16).padStart(12, '0')}`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    snmp: {
      version: '3' as const,
      port: 161,
      username: 'monitor',
      securityLevel: 'authPriv' as const,
      authProtocol: 'sha256' as const,
      authKey: 'auth-secret-of-the-site',
      privProtocol: 'aes' as const,
      privKey: 'priv-secret-of-the-site',
      timeoutMs: 2000,
      retries: 1,
      maxRepetitions: 25,
    },
  }));
  return messageFor('config', { revision: 9, devices, schedules: [] });
}

const ack = { revision: 3, ok: true };

describe('parseMessage', () => {
  const message = messageFor('config-ack', ack);

  it.each([
    ['an object', message],
    ['a string', JSON.stringify(message)],
    ['a Buffer', Buffer.from(JSON.stringify(message))],
    ['a Uint8Array', new TextEncoder().encode(JSON.stringify(message))],
  ])('accepts %s', (_why, payload) => {
    const result = parseMessage('config-ack', payload);
    expect(result).toMatchObject({ ok: true, message });
  });

  it.each([
    ['invalid JSON', '{"v":1,', /not JSON/],
    ['an empty payload', '', /not JSON/],
    ['a JSON array', '[]', /JSON object/],
    ['JSON null', 'null', /JSON object/],
    ['a number', 42, /JSON object/],
    ['undefined', undefined, /JSON object/],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), /UTF-8/],
    ['no version', { id: 'x' }, /version undefined/],
    ['a future version', { ...message, v: 2 }, /version 2/],
    ['the wrong type', { ...message, type: 'agent.status' }, /at type/],
    ['a bad body', { ...message, body: { revision: 'three', ok: true } }, /at body\.revision/],
  ])('rejects %s without throwing', (_why, payload, error) => {
    const result = parseMessage('config-ack', payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });

  it.each([
    ['a string', (n: number) => `"${'x'.repeat(n)}"`],
    ['a Buffer', (n: number) => Buffer.alloc(n, 0x20)],
    ['multi-byte text', (n: number) => `"${'é'.repeat(n / 2)}"`],
  ])('rejects %s over MAX_MESSAGE_BYTES before parsing', (_why, make) => {
    const result = parseMessage('results', make(MAX_MESSAGE_BYTES + 2));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/over the 262144-byte limit/);
  });

  it('takes a config up to MAX_CONFIG_BYTES: one desired state for thousands of devices', () => {
    expect(maxMessageBytes('config')).toBe(MAX_CONFIG_BYTES);
    expect(maxMessageBytes('results')).toBe(MAX_MESSAGE_BYTES);
    const config = bigConfig(3000);
    const text = JSON.stringify(config);
    expect(text.length).toBeGreaterThan(3 * MAX_MESSAGE_BYTES);
    const parsed = parseMessage('config', Buffer.from(text));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.message.body.devices).toHaveLength(3000);
    // The same size on any other channel is refused before parsing.
    const other = parseMessage('results', `"${'x'.repeat(text.length)}"`);
    expect(other).toMatchObject({ ok: false, error: expect.stringMatching(/over the 262144-byte limit/) });
    const huge = parseMessage('config', Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20));
    expect(huge).toMatchObject({ ok: false, error: expect.stringMatching(/over the 8388608-byte limit/) });
  });

  it('rejects an unknown channel', () => {
    expect(parseMessage('nope' as never, message)).toEqual({ ok: false, error: 'unknown channel "nope"' });
  });

  it('gives the payload text as the exact message only when validation kept every value', () => {
    const exactText = (payload: unknown) => {
      const result = parseMessage('results', payload);
      if (!result.ok) throw new Error(result.error);
      return result.exactText();
    };
    const result = {
      kind: 'result',
      id: '0190f6a0-51c5-7cc3-9b5e-2f1f4a1b2c3d',
      jobId: '7908c7b9-74da-4d74-b2d7-000000000001',
      deviceId: '7908c7b9-74da-4d74-b2d7-000000000002',
      status: 'succeeded',
      startedAt: '2026-11-29T10:00:00.000Z',
      finishedAt: '2026-11-29T10:00:00.012Z',
      varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 42 }],
    };
    const text = JSON.stringify(messageFor('results', { items: [result as never] }));
    expect(exactText(text)).toBe(text);
    expect(exactText(Buffer.from(text))).toBe(text);
    // Whitespace and key order do not matter: the text holds the same values.
    const spaced = JSON.stringify(JSON.parse(text), null, 2);
    expect(exactText(spaced)).toBe(spaced);
    // An unknown key, at any depth, is stripped by validation: the text is not the message.
    const withExtra = (item: object) => JSON.stringify(messageFor('results', { items: [item as never] }));
    expect(exactText(withExtra({ ...result, future: 1 }))).toBeNull();
    expect(
      exactText(withExtra({ ...result, varbinds: [{ ...result.varbinds[0], future: 'x' }] })),
    ).toBeNull();
    expect(exactText(JSON.stringify({ ...JSON.parse(text), extra: true }))).toBeNull();
    // A value validation rewrites (an OID's leading dot is dropped) is no longer the text's.
    expect(
      exactText(withExtra({ ...result, varbinds: [{ ...result.varbinds[0], oid: '.1.3.6.1.2.1.1.3.0' }] })),
    ).toBeNull();
    // A value passed as an object has no text.
    expect(exactText(JSON.parse(text))).toBeNull();
  });

  it('caps the list of issues', () => {
    const items = Array.from({ length: 30 }, () => ({ kind: 'result', id: 'bad' }));
    const result = parseMessage('results', {
      ...messageFor('config-ack', ack),
      type: 'result.batch',
      body: { items },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/and \d+ more issues$/);
  });

  it('ignores unknown fields, so a newer sender can add optional ones', () => {
    const result = parseMessage('config-ack', { ...message, extra: 1, body: { ...ack, future: 'x' } });
    expect(result.ok).toBe(true);
  });
});

describe('sameJson', () => {
  it.each([
    [
      'equal trees in another key order',
      '{"a":[1,{"b":null,"c":"x"}],"d":true}',
      { d: true, a: [1, { c: 'x', b: null }] },
      true,
    ],
    ['a key the output lacks', '{"a":1,"b":2}', { a: 1 }, false],
    ['a key only the output has', '{"a":1}', { a: 1, b: 2 }, false],
    ['a changed value deep down', '{"a":[{"b":"x"}]}', { a: [{ b: 'y' }] }, false],
    ['an array for an object', '{"a":[]}', { a: {} }, false],
    ['a shorter array', '[1,2]', [1], false],
    ['an own __proto__ key stripped', '{"__proto__":{},"a":1}', { a: 1 }, false],
    ['a key named like an inherited method', '{"constructor":{}}', {}, false],
    ['a number for its text', '{"a":"1"}', { a: 1 }, false],
  ])('%s: %s', (_why, text, output, same) => {
    expect(sameJson(JSON.parse(text), output)).toBe(same);
  });
});

describe('envelopes', () => {
  it.each([...CHANNELS])('gives channel %s its own message type', (channel) => {
    expect(CHANNEL_MESSAGE_TYPES[channel]).toMatch(/^[a-z]+\.[a-z]+$/);
  });

  it('makes v1 envelopes with a UUIDv7 id and the time', () => {
    const now = new Date('2025-03-01T12:00:00.000Z');
    const env = makeEnvelope('config.ack', ack, { now });
    expect(env).toMatchObject({ v: 1, type: 'config.ack', ts: '2025-03-01T12:00:00.000Z', body: ack });
    expect(uuidv7Timestamp(env.id)).toBeGreaterThanOrEqual(now.getTime());
  });

  it('types messages per channel', () => {
    const msg: ChannelMessage<'cancel'> = messageFor('cancel', {
      jobId: '01955193-de00-7254-874b-0b92c369f078',
    });
    expect(msg.type).toBe('job.cancel');
  });

  it('measures encoded size for producers that split batches', () => {
    const { bytes, fits, text } = encodeMessage({ s: 'é' });
    expect(text).toBe('{"s":"é"}');
    expect(bytes).toBe(10);
    expect(fits).toBe(true);
  });

  it('measures a config against its own, larger limit', () => {
    const config = encodeMessage(bigConfig(3000));
    expect(config.bytes).toBeGreaterThan(MAX_MESSAGE_BYTES);
    expect(config).toMatchObject({ fits: true, limit: MAX_CONFIG_BYTES });
    const results = encodeMessage(messageFor('results', { items: [] }));
    expect(results.limit).toBe(MAX_MESSAGE_BYTES);
    expect(
      encodeMessage({ ...messageFor('results', { items: [] }), pad: 'x'.repeat(MAX_MESSAGE_BYTES) }).fits,
    ).toBe(false);
  });
});
