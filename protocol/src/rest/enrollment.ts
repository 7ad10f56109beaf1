import { z } from 'zod';
import { Name, Timestamp, Uuid } from '../primitives.js';
import { PageQuery } from './paging.js';

/**
 * Derived from the timestamps: `used` wins over `revoked` and `expired` (a used token can no
 * longer be revoked), then `revoked`, then `expired`.
 */
export const EnrollmentTokenState = z.enum(['active', 'used', 'expired', 'revoked']);
export type EnrollmentTokenState = z.infer<typeof EnrollmentTokenState>;

export const EnrollmentToken = z.object({
  id: Uuid,
  siteId: Uuid,
  expiresAt: Timestamp,
  usedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  /** Always sent by the hub; optional only so older payloads still parse. */
  state: EnrollmentTokenState.optional(),
  /** The agent that enrolled with this token, once used. */
  agentId: Uuid.nullable().optional(),
});
export type EnrollmentToken = z.infer<typeof EnrollmentToken>;

export const EnrollmentTokenCreate = z.object({
  siteId: Uuid,
  /** 5 minutes to 7 days. */
  ttlMinutes: z.int().min(5).max(10_080).default(60),
});
export type EnrollmentTokenCreate = z.infer<typeof EnrollmentTokenCreate>;

export const EnrollmentTokenQuery = PageQuery.extend({
  siteId: Uuid.optional(),
  state: EnrollmentTokenState.optional(),
});
export type EnrollmentTokenQuery = z.infer<typeof EnrollmentTokenQuery>;

/** The one response that shows the token itself; only its hash is stored. */
export const EnrollmentTokenCreated = EnrollmentToken.extend({ token: z.string().min(1) });
export type EnrollmentTokenCreated = z.infer<typeof EnrollmentTokenCreated>;

/** `POST /api/v1/agents/enroll`: single use, before the token expires. */
export const EnrollRequest = z.object({
  token: z.string().min(1).max(512),
  name: Name,
  version: z.string().min(1).max(64),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

/** SECRET: `mqtt.password` is shown once; the agent stores it in its data folder. */
export const EnrollResponse = z.object({
  agentId: Uuid,
  tenantId: Uuid,
  siteId: Uuid,
  mqtt: z.object({
    url: z.url({ protocol: /^(mqtts?|wss?)$/ }),
    username: z.string().min(1),
    password: z.string().min(1),
  }),
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;
