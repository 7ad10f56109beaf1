import { describe, expect, it } from 'vitest';
import { buildTokenRequest, curlExample, expiryText } from '../../src/views/api-tokens/api-token-model.js';

const T = '11111111-1111-4111-8111-111111111111';

describe('buildTokenRequest', () => {
  it.each<[string, string, object]>([
    ['inventory sync', '90', { name: 'inventory sync', expiresInDays: 90 }],
    [' nightly ', '365', { name: 'nightly', expiresInDays: 365 }],
    ['forever', '', { name: 'forever' }],
  ])('%j expiring after %j days', (name, days, body) => {
    expect(buildTokenRequest(name, days)).toEqual({ body, errors: new Map() });
  });

  it('a token needs a name', () => {
    const { body, errors } = buildTokenRequest('   ', '30');
    expect(body).toBeNull();
    expect(errors.get('name')).toBe('Name the token after the script or system that uses it');
  });

  it('an expiry the hub would refuse is refused here too', () => {
    const { body, errors } = buildTokenRequest('x', '5000');
    expect(body).toBeNull();
    expect(errors.has('expiresInDays')).toBe(true);
  });
});

describe('curlExample', () => {
  it('reads the tenant’s devices with the token in the Authorization header', () => {
    expect(curlExample('https://hub.example.com/', T, 'drma_abc-DEF_123')).toBe(
      `curl -H 'Authorization: Bearer drma_abc-DEF_123' https://hub.example.com/api/v1/tenants/${T}/devices`,
    );
  });

  it('quotes what a shell would read otherwise', () => {
    expect(curlExample('http://127.0.0.1:8080', T, "it's")).toBe(
      `curl -H 'Authorization: Bearer it'\\''s' http://127.0.0.1:8080/api/v1/tenants/${T}/devices`,
    );
  });
});

describe('expiryText', () => {
  it('says Never for a token without an end', () => {
    expect(expiryText({ expiresAt: null })).toBe('Never');
    expect(expiryText({ expiresAt: '2030-06-01T00:00:00.000Z' })).not.toBe('Never');
  });
});
