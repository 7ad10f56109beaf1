import snmp from 'net-snmp';
import type { ResultError, ResultErrorCode } from '@drm/protocol';

/**
 * RFC 3416 section 3 error-status names, indexed by their value (SNMPv1's six first, RFC 1157
 * section 4.1.1). The protocol reports these names, not net-snmp's own spellings.
 */
export const ERROR_STATUS_NAMES = [
  'noError',
  'tooBig',
  'noSuchName',
  'badValue',
  'readOnly',
  'genErr',
  'noAccess',
  'wrongType',
  'wrongLength',
  'wrongEncoding',
  'wrongValue',
  'noCreation',
  'inconsistentValue',
  'resourceUnavailable',
  'commitFailed',
  'undoFailed',
  'authorizationError',
  'notWritable',
  'inconsistentName',
] as const;

/**
 * The code a non-zero error-status in a response maps to. The protocol reserves `snmp-error`
 * (with `snmpStatus` and `snmpIndex`) for it; `protocol` is kept for responses that break the
 * protocol itself (undecodable, mismatched, OIDs not increasing).
 */
export const ERROR_STATUS_CODE: ResultErrorCode = 'snmp-error';

/** Node's socket and resolver codes that mean the target cannot be reached at all. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_NODATA',
  'EAI_FAIL',
]);

const MAX_MESSAGE = 2000;

/** A failure of one SNMP operation, already mapped to the protocol's result error. */
export class SnmpError extends Error {
  override readonly name = 'SnmpError';
  readonly result: ResultError;

  constructor(result: ResultError, options?: { cause?: unknown }) {
    super(result.message, options);
    this.result = result;
  }
}

/** What the mapping needs to know about the request that failed. */
export interface ErrorContext {
  /** `host:port`, for messages. */
  target: string;
  /** Attempts made per request (retries + 1), for timeout messages. */
  attempts: number;
  /** OIDs of the request in order, to recover the error-index (RFC 3416 section 4.2). */
  oids?: readonly string[] | undefined;
}

export function resultError(
  code: ResultErrorCode,
  message: string,
  extra?: Partial<ResultError>,
): ResultError {
  const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
  return { ...extra, code, message: text };
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/**
 * net-snmp drops the error-index and names the failing varbind by OID in the message
 * (`NotWritable: 1.3.6.1.2.1.1.5.0`); find that OID in the request to give the 1-based index.
 * Zero when the agent named no varbind, as RFC 3416 section 4.2 does.
 */
function errorIndex(message: string, oids: readonly string[] | undefined): number {
  const oid = /: ([\d.]+)$/.exec(message)?.[1];
  if (!oid || !oids) return 0;
  return oids.indexOf(oid) + 1;
}

function fromErrorStatus(err: Error & { status?: unknown }, ctx: ErrorContext): ResultError {
  const status = typeof err.status === 'number' ? err.status : snmp.ErrorStatus.GeneralError;
  const name = ERROR_STATUS_NAMES[status] ?? 'genErr';
  const index = errorIndex(err.message, ctx.oids);
  const where = index > 0 ? ` on varbind ${index}` : '';
  return resultError(ERROR_STATUS_CODE, `${ctx.target} answered ${name}${where}`, {
    snmpStatus: name,
    snmpIndex: index,
  });
}

function fromInvalidResponse(err: Error & { code?: unknown }, ctx: ErrorContext): ResultError {
  const { ResponseInvalidCode } = snmp;
  switch (err.code) {
    // RFC 3414 section 3.2: usmStats reports (unknown user or engine, wrong digest, decryption
    // error, unsupported level, not in time window) and responses we cannot authenticate or
    // decrypt all mean the credentials do not match the device's.
    case ResponseInvalidCode.EAuthFailure:
    case ResponseInvalidCode.ECouldNotDecrypt:
    case 14 /* ENotInTimeWindow, missing from @types/net-snmp */:
      return resultError('auth', `${ctx.target}: SNMPv3 authentication failed: ${err.message}`);
    default:
      return resultError('protocol', `${ctx.target}: invalid response: ${err.message}`);
  }
}

/**
 * Maps anything a net-snmp request can fail with to the protocol's result error. Never throws:
 * an error the mapping does not know is `internal`, with its message.
 */
export function toResultError(err: unknown, ctx: ErrorContext): ResultError {
  if (err instanceof SnmpError) return err.result;
  const message = err instanceof Error ? err.message : String(err);
  const code = errorCode(err);
  switch (errorName(err)) {
    case 'RequestTimedOutError':
      return resultError('timeout', `no response from ${ctx.target} after ${ctx.attempts} attempts`);
    case 'RequestFailedError':
      return fromErrorStatus(err as Error, ctx);
    case 'ResponseInvalidError':
      return fromInvalidResponse(err as Error, ctx);
    case 'RequestInvalidError':
      return resultError('config', `${ctx.target}: request could not be built: ${message}`);
  }
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return resultError('unreachable', `${ctx.target} is unreachable: ${message}`);
  }
  if (code === 'ERR_OSSL_EVP_UNSUPPORTED') {
    // Node 17+ ships OpenSSL 3 without DES unless started with --openssl-legacy-provider.
    return resultError('not-supported', `${ctx.target}: cipher not available in this Node build: ${message}`);
  }
  if (message === 'Socket forcibly closed') {
    return resultError('cancelled', `${ctx.target}: session closed while the request was in flight`);
  }
  return resultError('internal', `${ctx.target}: ${message}`);
}
