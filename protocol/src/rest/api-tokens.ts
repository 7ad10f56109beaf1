import { z } from 'zod';
import { Name, Timestamp, Uuid } from '../primitives.js';

/**
 * A personal API token for integrations: it acts as the user who made it, with that user's
 * roles in each tenant, until it expires or is revoked. Its value is shown once.
 */
export const ApiToken = z.object({
  id: Uuid,
  name: Name,
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const ApiTokenCreate = z.object({
  name: Name,
  /** Left out: the token does not expire. */
  expiresInDays: z.int().min(1).max(3650).optional(),
});
export type ApiTokenCreate = z.infer<typeof ApiTokenCreate>;

/** The one response that shows the token itself; only its hash is stored. */
export const ApiTokenCreated = ApiToken.extend({ token: z.string().min(1) });
export type ApiTokenCreated = z.infer<typeof ApiTokenCreated>;
