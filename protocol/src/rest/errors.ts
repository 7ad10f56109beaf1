import { z } from 'zod';

/**
 * Every error response: `{error: {code, message, details?}}`. `code` is a stable
 * machine-readable token (e.g. `NOT_FOUND`, `VALIDATION`); `message` is for people; never a
 * stack trace.
 */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().min(1),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
