import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { ResultError } from '@drm/protocol';
import { ERROR_STATUS_NAMES, SnmpError, toResultError } from '../../../src/drivers/snmp/errors.js';

const ctx = { target: '192.0.2.10:161', attempts: 2, oids: ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.6.0'] };
const { ErrorStatus, ResponseInvalidCode } = snmp;
/** Exported by net-snmp, missing from @types/net-snmp. */
const { RequestTimedOutError } = snmp as unknown as { RequestTimedOutError: new (message: string) => Error };

function systemError(code: string): Error {
  return Object.assign(new Error(`send ${code} 192.0.2.10:161`), { code });
}

function invalid(code: number, message: string): Error {
  return new snmp.ResponseInvalidError(message, code);
}

describe('toResultError', () => {
  it.each<[string, unknown, Partial<ResultError>]>([
    ['a timeout', new RequestTimedOutError('Request timed out'), { code: 'timeout' }],
    [
      'notWritable on the second varbind',
      new snmp.RequestFailedError('NotWritable: 1.3.6.1.2.1.1.6.0', ErrorStatus.NotWritable),
      { code: 'snmp-error', snmpStatus: 'notWritable', snmpIndex: 2 },
    ],
    [
      'noSuchName (SNMPv1) on the first varbind',
      new snmp.RequestFailedError('NoSuchName: 1.3.6.1.2.1.1.5.0', ErrorStatus.NoSuchName),
      { code: 'snmp-error', snmpStatus: 'noSuchName', snmpIndex: 1 },
    ],
    [
      'tooBig with no varbind named',
      new snmp.RequestFailedError('TooBig', ErrorStatus.TooBig),
      { code: 'snmp-error', snmpStatus: 'tooBig', snmpIndex: 0 },
    ],
    [
      'genErr',
      new snmp.RequestFailedError('GeneralError', ErrorStatus.GeneralError),
      { code: 'snmp-error', snmpStatus: 'genErr' },
    ],
    [
      'wrongType',
      new snmp.RequestFailedError('WrongType: 1.3.6.1.2.1.1.5.0', ErrorStatus.WrongType),
      { code: 'snmp-error', snmpStatus: 'wrongType', snmpIndex: 1 },
    ],
    [
      'usmStatsUnknownUserNames',
      invalid(ResponseInvalidCode.EAuthFailure, 'Unknown User Name'),
      { code: 'auth' },
    ],
    ['usmStatsWrongDigests', invalid(ResponseInvalidCode.EAuthFailure, 'Wrong Digest'), { code: 'auth' }],
    [
      'usmStatsDecryptionErrors',
      invalid(ResponseInvalidCode.EAuthFailure, 'Decryption Error'),
      { code: 'auth' },
    ],
    [
      'usmStatsUnknownEngineIDs',
      invalid(ResponseInvalidCode.EAuthFailure, 'Unknown Engine ID'),
      { code: 'auth' },
    ],
    [
      'a response we cannot decrypt',
      invalid(ResponseInvalidCode.ECouldNotDecrypt, 'Failed to decrypt'),
      { code: 'auth' },
    ],
    [
      'a mismatched response',
      invalid(ResponseInvalidCode.EReqResOidNoMatch, 'OIDs do not match'),
      { code: 'protocol' },
    ],
    [
      'an unexpected report',
      invalid(ResponseInvalidCode.EUnexpectedReport, 'Unexpected Report PDU'),
      { code: 'protocol' },
    ],
    ['ECONNREFUSED', systemError('ECONNREFUSED'), { code: 'unreachable' }],
    ['ICMP host unreachable', systemError('EHOSTUNREACH'), { code: 'unreachable' }],
    ['no route', systemError('ENETUNREACH'), { code: 'unreachable' }],
    ['an unknown host name', systemError('ENOTFOUND'), { code: 'unreachable' }],
    ['a DNS server that does not answer', systemError('EAI_AGAIN'), { code: 'unreachable' }],
    ['DES without the legacy provider', systemError('ERR_OSSL_EVP_UNSUPPORTED'), { code: 'not-supported' }],
    ['a closed session', new Error('Socket forcibly closed'), { code: 'cancelled' }],
    [
      'a request that cannot be built',
      Object.assign(new Error('bad OID'), { name: 'RequestInvalidError' }),
      { code: 'config' },
    ],
    ['anything else', new TypeError('boom'), { code: 'internal' }],
    ['a thrown string', 'boom', { code: 'internal' }],
    ['null', null, { code: 'internal' }],
  ])('maps %s', (_name, err, expected) => {
    const result = toResultError(err, ctx);
    expect(result).toMatchObject(expected);
    expect(ResultError.safeParse(result).success).toBe(true);
    expect(result.message).not.toBe('');
  });

  it('passes an SnmpError through unchanged', () => {
    const result = { code: 'budget', message: 'out of time' };
    expect(toResultError(new SnmpError(result), ctx)).toBe(result);
  });

  it('says how many attempts a timeout took', () => {
    expect(toResultError(new RequestTimedOutError('Request timed out'), ctx).message).toBe(
      'no response from 192.0.2.10:161 after 2 attempts',
    );
  });

  it('keeps messages within the protocol limit', () => {
    const result = toResultError(new Error('x'.repeat(5000)), ctx);
    expect(result.message.length).toBeLessThanOrEqual(2000);
  });

  it('names every RFC 3416 error-status', () => {
    expect(ERROR_STATUS_NAMES).toHaveLength(19);
    expect(ERROR_STATUS_NAMES[ErrorStatus.AuthorizationError]).toBe('authorizationError');
    expect(ERROR_STATUS_NAMES[ErrorStatus.InconsistentName]).toBe('inconsistentName');
  });
});
