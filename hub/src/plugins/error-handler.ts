import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { Errors, routeNotFound } from '../errors.js';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

// SQLSTATEs a client can cause with valid-looking input; anything else is our fault.
const SQL_STATES: Record<string, { status: number; code: string; message: string }> = {
  '23505': {
    status: 409,
    code: 'CONFLICT',
    message: 'Something with the same unique name or id already exists',
  },
  '23503': { status: 400, code: 'VALIDATION', message: 'It refers to something that does not exist' },
  '23514': { status: 400, code: 'VALIDATION', message: 'A value is outside what is allowed' },
  '22P02': { status: 400, code: 'VALIDATION', message: 'A value has the wrong format' },
};

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION',
  FST_ERR_VALIDATION: 'VALIDATION',
};

const KNOWN = new Set(Object.keys(Errors));

/**
 * One shape for every error: `{error: {code, message, details?}}`, the right status, and
 * never a stack trace. 5xx are logged at error, 4xx at info.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(
    (err: FastifyError & { details?: unknown; detail?: unknown; severity?: string }, req, reply) => {
      let status = err.statusCode ?? 500;
      let body: ErrorBody;
      if (hasZodFastifySchemaValidationErrors(err)) {
        status = 400;
        const details = err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message }));
        const where = err.validationContext ?? 'request';
        const first = details[0];
        body = {
          error: {
            code: 'VALIDATION',
            message: `Invalid ${where}: ${first ? `${first.path} ${first.message}` : 'does not match the schema'}`,
            details,
          },
        };
      } else if (isResponseSerializationError(err)) {
        status = 500;
        req.log.error({ err, issues: err.cause.issues }, 'response does not match its schema');
        body = internal();
      } else if (typeof err.code === 'string' && err.severity && SQL_STATES[err.code]) {
        // A foreign-key error on DELETE means the row is still in use, not that input was wrong.
        // PostgreSQL puts "is still referenced" in the detail, and the message starts
        // "update or delete on table" (an insert's message starts "insert or update").
        const mapped =
          err.code === '23503' && isStillReferenced(err)
            ? { status: 409, code: 'CONFLICT', message: 'It is still in use; remove what refers to it first' }
            : SQL_STATES[err.code]!;
        status = mapped.status;
        body = { error: { code: mapped.code, message: mapped.message } };
      } else if (err.code === 'UNAVAILABLE') {
        // A dependency is away: the message says what to do; the cause stays in the log.
        req.log.warn({ err }, 'request refused: a dependency is unavailable');
        body = { error: { code: 'UNAVAILABLE', message: err.message } };
      } else if (status >= 500) {
        req.log.error({ err }, 'request failed');
        body = internal();
      } else {
        const code = KNOWN.has(err.code) ? err.code : (FASTIFY_CODES[err.code] ?? 'BAD_REQUEST');
        body = {
          error: { code, message: err.message, ...(err.details !== undefined && { details: err.details }) },
        };
      }
      if (status < 500) req.log.info({ code: body.error.code, status }, body.error.message);
      reply.code(status).type('application/json').send(body);
    },
  );

  app.setNotFoundHandler((req, reply) => {
    const err = routeNotFound(req);
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: err.message } });
  });
}

function isStillReferenced(err: { message: string; detail?: unknown }): boolean {
  return /^update or delete on table/.test(err.message) || /still referenced/.test(String(err.detail ?? ''));
}

function internal(): ErrorBody {
  const e = new Errors.INTERNAL();
  return { error: { code: e.code, message: e.message } };
}
