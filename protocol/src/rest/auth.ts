import { z } from 'zod';
import { Name, Uuid } from '../primitives.js';

/** A user's role in one tenant. */
export const Role = z.enum(['admin', 'operator', 'viewer']);
export type Role = z.infer<typeof Role>;

/** An MSP organisation owns customer tenants. */
export const TenantKind = z.enum(['msp', 'customer']);
export type TenantKind = z.infer<typeof TenantKind>;

export const Email = z.email().max(320);

export const LoginRequest = z.object({
  email: Email,
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const User = z.object({ id: Uuid, email: Email, name: z.string().max(200) });
export type User = z.infer<typeof User>;

/** A tenant the user may see, with the user's role there. */
export const TenantMembership = z.object({
  id: Uuid,
  name: Name,
  kind: TenantKind,
  role: Role,
  parentId: Uuid.nullable(),
});
export type TenantMembership = z.infer<typeof TenantMembership>;

/** `POST /api/v1/auth/login` → 200; the token is also set as an HttpOnly cookie. */
export const LoginResponse = z.object({
  token: z.string().min(1),
  user: User,
  tenants: z.array(TenantMembership),
});
export type LoginResponse = z.infer<typeof LoginResponse>;
