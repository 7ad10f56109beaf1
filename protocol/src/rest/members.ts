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

/** Adds a user by email; creates the user when `password` is given and none exists. */
export const MemberCreate = z.object({
  email: Email,
  name: z.string().trim().min(1).max(200).optional(),
  role: Role,
  password: z.string().min(12).max(1024).optional(),
});
export type MemberCreate = z.infer<typeof MemberCreate>;

export const MemberUpdate = z.object({ role: Role });
export type MemberUpdate = z.infer<typeof MemberUpdate>;
