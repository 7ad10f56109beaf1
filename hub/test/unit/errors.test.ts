import { describe, expect, it } from 'vitest';
import { Errors, notFound, withDetails } from '../../src/errors.js';

const entries = Object.entries(Errors);

describe('the error catalogue', () => {
  it('is not empty', () => {
    expect(entries.length).toBeGreaterThan(5);
  });

  it.each(entries)('%s carries its own key as code and a 4xx/5xx status', (key, ErrorClass) => {
    const err = new ErrorClass('x');
    expect(err.code).toBe(key);
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ErrorClass);
    expect(err.statusCode).toBeGreaterThanOrEqual(400);
    expect(err.statusCode).toBeLessThan(600);
    expect(err.message.length).toBeGreaterThan(0);
  });

  it.each([
    ['VALIDATION', 400],
    ['BAD_CURSOR', 400],
    ['UNAUTHENTICATED', 401],
    ['INVALID_CREDENTIALS', 401],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['PAYLOAD_TOO_LARGE', 413],
    ['RATE_LIMITED', 429],
    ['INTERNAL', 500],
    ['UNAVAILABLE', 503],
  ] as const)('%s answers %i', (key, status) => {
    expect(new Errors[key]('x').statusCode).toBe(status);
  });

  it('formats its arguments into the message', () => {
    expect(new Errors.NOT_FOUND('Device').message).toBe('Device not found');
    expect(new Errors.FORBIDDEN('needs admin').message).toBe(
      'Your role in this tenant does not allow this: needs admin',
    );
    expect(new Errors.RATE_LIMITED(42).message).toBe('Too many attempts; try again in 42 seconds');
    expect(notFound('Site')).toBeInstanceOf(Errors.NOT_FOUND);
  });

  it('attaches details without losing the class', () => {
    const err = withDetails(new Errors.VALIDATION('bad'), [{ path: '/name' }]);
    expect(err).toBeInstanceOf(Errors.VALIDATION);
    expect(err.details).toEqual([{ path: '/name' }]);
  });
});
