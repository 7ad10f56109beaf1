import createError from '@fastify/error';

/**
 * The hub's error catalogue. Routes throw these, never a bare Error; the error handler turns
 * them into `{error: {code, message, details?}}` with the status they carry.
 * The key of each entry equals its code (a test holds us to it).
 */
export const Errors = {
  VALIDATION: createError('VALIDATION', '%s', 400),
  BAD_CURSOR: createError('BAD_CURSOR', 'The cursor is not one this API issued', 400),
  UNAUTHENTICATED: createError(
    'UNAUTHENTICATED',
    'Log in first: no valid session cookie or bearer token',
    401,
  ),
  INVALID_CREDENTIALS: createError('INVALID_CREDENTIALS', 'Wrong email or password', 401),
  FORBIDDEN: createError('FORBIDDEN', 'Your role in this tenant does not allow this: %s', 403),
  NOT_FOUND: createError('NOT_FOUND', '%s not found', 404),
  CONFLICT: createError('CONFLICT', '%s', 409),
  ENROLLMENT_TOKEN_INVALID: createError('ENROLLMENT_TOKEN_INVALID', 'Enrollment token %s', 401),
  INVITATION_INVALID: createError('INVITATION_INVALID', 'This invitation %s', 404),
  BAD_REQUEST: createError('BAD_REQUEST', '%s', 400),
  PAYLOAD_TOO_LARGE: createError('PAYLOAD_TOO_LARGE', 'Request body is too large', 413),
  UNSUPPORTED_MEDIA_TYPE: createError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', 415),
  UPGRADE_REQUIRED: createError('UPGRADE_REQUIRED', 'This endpoint speaks WebSocket: %s', 426),
  RATE_LIMITED: createError('RATE_LIMITED', 'Too many attempts; try again in %s seconds', 429),
  UNAVAILABLE: createError('UNAVAILABLE', '%s', 503),
  INTERNAL: createError('INTERNAL', 'Something went wrong on our side; it has been logged', 500),
} as const;

export type ErrorCode = keyof typeof Errors;

/** An error from the catalogue carrying structured details for the client. */
export function withDetails<E extends Error>(err: E, details: unknown): E & { details: unknown } {
  return Object.assign(err, { details });
}

export function notFound(what: string): Error {
  return new Errors.NOT_FOUND(what);
}

/**
 * The 404 of a method and path the caller cannot use: the same answer for a route that does
 * not exist and for one the caller's role does not allow.
 */
export function routeNotFound(req: { method: string; url: string }): Error {
  return new Errors.NOT_FOUND(`Route ${req.method} ${req.url.split('?')[0]}`);
}
