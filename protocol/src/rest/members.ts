import { z } from 'zod';
import { Timestamp, Uuid } from '../primitives.js';
import { Email, Role } from './auth.js';

/** A user's membership of the tenant in the path. */
export const Member = z.object({
  userId: Uuid,
  email: Email,
  name: z.string(),
  role: Role,
  createdAt: Timestamp,
});
export type Member = z.infer<typeof Member>;

/**
 * Invites someone by email to the tenant in the path, with a role. The answer is the same
 * whether or not an account has that email; the invitee accepts with the token (signing up,
 * or logging in to the account that has the email), so nobody is added without consent.
 */
export const InvitationCreate = z.object({
  email: Email,
  role: Role,
  /** 1 hour to 30 days; default 7 days. */
  ttlHours: z.int().min(1).max(720).default(168),
});
export type InvitationCreate = z.infer<typeof InvitationCreate>;

/** Derived from the timestamps: `accepted` wins, then `revoked`, then `expired`. */
export const InvitationState = z.enum(['pending', 'accepted', 'expired', 'revoked']);
export type InvitationState = z.infer<typeof InvitationState>;

export const Invitation = z.object({
  id: Uuid,
  email: Email,
  role: Role,
  state: InvitationState,
  createdAt: Timestamp,
  expiresAt: Timestamp,
  acceptedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});
export type Invitation = z.infer<typeof Invitation>;

/** The one response that shows the token itself; only its hash is stored. */
export const InvitationCreated = Invitation.extend({ token: z.string().min(1) });
export type InvitationCreated = z.infer<typeof InvitationCreated>;

export const InvitationToken = z.object({ token: z.string().min(1).max(200) });
export type InvitationToken = z.infer<typeof InvitationToken>;

/** What the invitee sees before accepting; `account` says whether to sign up or log in. */
export const InvitationPreview = z.object({
  tenantId: Uuid,
  tenantName: z.string(),
  email: Email,
  role: Role,
  expiresAt: Timestamp,
  account: z.enum(['new', 'existing']),
});
export type InvitationPreview = z.infer<typeof InvitationPreview>;

/** Accepting as a new account: the invitee chooses a name and a password. */
export const InvitationSignup = InvitationToken.extend({
  name: z.string().trim().min(1).max(200),
  password: z.string().min(12).max(1024),
});
export type InvitationSignup = z.infer<typeof InvitationSignup>;

/** The membership an accepted invitation gave. */
export const InvitationAccepted = z.object({ tenantId: Uuid, role: Role, email: Email });
export type InvitationAccepted = z.infer<typeof InvitationAccepted>;

export const MemberUpdate = z.object({ role: Role });
export type MemberUpdate = z.infer<typeof MemberUpdate>;
