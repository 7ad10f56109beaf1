import { describe, expect, it } from 'vitest';
import {
  ApiError,
  NETWORK,
  describeError,
  errorAt,
  errorMessage,
  fieldErrors,
} from '../../src/api/errors.js';

describe('describeError', () => {
  it.each([
    [
      new ApiError(401, 'INVALID_CREDENTIALS', 'Wrong email or password'),
      { title: 'Wrong email or password' },
    ],
    [
      new ApiError(401, 'UNAUTHENTICATED', 'Log in first: no valid session cookie or bearer token'),
      {
        title: 'Your session has ended; please log in again',
        detail: 'Log in first: no valid session cookie or bearer token',
      },
    ],
    [
      new ApiError(
        403,
        'FORBIDDEN',
        'Your role in this tenant does not allow this: running jobs needs operator',
      ),
      { title: 'Your role does not allow this', detail: 'Running jobs needs operator' },
    ],
    [
      new ApiError(404, 'NOT_FOUND', 'Job not found'),
      {
        title: 'Not found: it may have been deleted, or you do not have access to it',
        detail: 'Job not found',
      },
    ],
    [
      new ApiError(400, 'VALIDATION', 'Invalid body: /params/oids/0 must be a numeric OID'),
      { title: 'Some of what was entered is not valid', detail: 'Params › oids › 1: must be a numeric OID' },
    ],
    [
      new ApiError(409, 'CONFLICT', 'A device named "gw" already exists in this tenant'),
      {
        title: 'That conflicts with what is already there',
        detail: 'A device named "gw" already exists in this tenant',
      },
    ],
    [
      new ApiError(429, 'RATE_LIMITED', 'Too many attempts; try again in 60 seconds'),
      {
        title: 'Too many attempts; wait a moment and try again',
        detail: 'Too many attempts; try again in 60 seconds',
      },
    ],
    [
      new ApiError(500, 'INTERNAL', 'Something went wrong on our side; it has been logged'),
      { title: 'Something went wrong on the hub; it has been logged' },
    ],
    [
      new ApiError(0, NETWORK, 'The hub could not be reached'),
      { title: 'Cannot reach the hub; check the connection and try again' },
    ],
    // Codes the dashboard does not know fall back on the status.
    [
      new ApiError(502, 'HTTP_502', 'Bad Gateway'),
      { title: expect.stringMatching(/HTTP 502/), detail: 'Bad Gateway' },
    ],
    [new ApiError(403, 'SOMETHING_NEW', 'x'), { title: 'Your role does not allow this', detail: 'X' }],
    [new ApiError(418, 'TEAPOT', ''), { title: 'The request was refused (HTTP 418)' }],
  ])('%o', (err, expected) => {
    expect(describeError(err)).toEqual(expected);
  });

  it('an error of the dashboard itself says so', () => {
    expect(describeError(new TypeError('x is undefined'))).toEqual({
      title: 'Something went wrong in the dashboard',
      detail: 'x is undefined',
    });
  });

  it('errorMessage joins headline and detail', () => {
    expect(errorMessage(new ApiError(404, 'NOT_FOUND', 'Device not found'))).toBe(
      'Not found: it may have been deleted, or you do not have access to it: Device not found',
    );
  });
});

describe('fieldErrors', () => {
  it('maps the hub validation details to dotted field paths', () => {
    const err = new ApiError(400, 'VALIDATION', 'Invalid body: /name Too small', [
      { path: '/name', message: 'too small: expected string to have >=1 characters' },
      { path: '/snmp/port', message: 'Too big: expected number to be <=65535' },
      { path: '/snmp/port', message: 'a second complaint about the same field' },
      { path: '/', message: 'give a name or a siteId' },
      { nonsense: true },
      'not an object',
    ]);
    const fields = fieldErrors(err);
    expect([...fields]).toEqual([
      ['name', 'Too small: expected string to have >=1 characters'],
      ['snmp.port', 'Too big: expected number to be <=65535'],
      ['', 'Give a name or a siteId'],
    ]);
    expect(errorAt(fields, 'snmp')).toBe('Too big: expected number to be <=65535');
    expect(errorAt(fields, 'snmp.port')).toBe('Too big: expected number to be <=65535');
    expect(errorAt(fields, 'sn')).toBeUndefined();
  });

  it('is empty for anything but a validation error with details', () => {
    expect(fieldErrors(new ApiError(409, 'CONFLICT', 'x', [{ path: '/a', message: 'b' }])).size).toBe(0);
    expect(fieldErrors(new ApiError(400, 'VALIDATION', 'x', { unknownDeviceIds: ['a'] })).size).toBe(0);
    expect(fieldErrors(new Error('x')).size).toBe(0);
  });
});
