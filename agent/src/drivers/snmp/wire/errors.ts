import snmp from 'net-snmp';

/**
 * Failures of our own requests in the shapes net-snmp gives them (its error names, `status`
 * and `code`), so that `toResultError` maps both paths to the same result error.
 */

const { ResponseInvalidCode } = snmp;
/** ENotInTimeWindow, missing from @types/net-snmp. */
export const NOT_IN_TIME_WINDOW = 14;

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, extra);
}

export function timedOut(): Error {
  return named('RequestTimedOutError', 'Request timed out');
}

/**
 * A non-zero error-status, worded as net-snmp words it: the status name, and the OID of the
 * varbind the error-index names when it names one.
 */
export function requestFailed(errorStatus: number, oidAtIndex: string | undefined): Error {
  const { ErrorStatus } = snmp;
  const name = ErrorStatus[errorStatus] ?? 'GeneralError';
  const status =
    (ErrorStatus as unknown as Record<string, number | undefined>)[name] ?? ErrorStatus.GeneralError;
  const message = oidAtIndex === undefined ? name : `${name}: ${oidAtIndex}`;
  return named('RequestFailedError', message, { status });
}

export function responseInvalid(message: string, code: number): Error {
  return named('ResponseInvalidError', message, { code });
}

/** RFC 3414 section 3.2 usmStats counters, as net-snmp names them in its errors. */
const USM_STATS: Readonly<Record<string, string>> = {
  '1': 'Unsupported Security Level',
  '2': 'Not In Time Window',
  '3': 'Unknown User Name',
  '4': 'Unknown Engine ID',
  '5': 'Wrong Digest (incorrect password, community or key)',
  '6': 'Decryption Error',
};

/** A usmStats report the request could not recover from: the credentials do not match. */
export function usmReport(counter: string): Error {
  return responseInvalid(USM_STATS[counter] ?? 'Unexpected Report PDU', ResponseInvalidCode.EAuthFailure);
}

export function unexpectedReport(): Error {
  return responseInvalid('Unexpected Report PDU', ResponseInvalidCode.EUnexpectedReport);
}

export function couldNotDecrypt(detail: string): Error {
  return responseInvalid(`Failed to decrypt PDU: ${detail}`, ResponseInvalidCode.ECouldNotDecrypt);
}

export function outsideTimeWindow(boots: number, time: number, ourBoots: number, ourTime: number): Error {
  return responseInvalid(
    `Message with engineBoots '${boots}' and engineTime '${time}' is outside the time window of ` +
      `engineBoots '${ourBoots}' and engineTime '${ourTime}'`,
    NOT_IN_TIME_WINDOW,
  );
}

/** What net-snmp rejects in-flight requests with when its socket closes. */
export function socketClosed(): Error {
  return new Error('Socket forcibly closed');
}
