import { z } from 'zod';
import { Name, Timestamp, Uuid } from '../primitives.js';
import { TenantKind } from './auth.js';

export const Tenant = z.object({
  id: Uuid,
  name: Name,
  kind: TenantKind,
  parentId: Uuid.nullable(),
  createdAt: Timestamp,
});
export type Tenant = z.infer<typeof Tenant>;

/** Creates a customer tenant under the MSP tenant `parentId`. */
export const TenantCreate = z.object({ name: Name, parentId: Uuid });
export type TenantCreate = z.infer<typeof TenantCreate>;

export const TenantUpdate = z.object({ name: Name });
export type TenantUpdate = z.infer<typeof TenantUpdate>;

export const Site = z.object({
  id: Uuid,
  tenantId: Uuid,
  name: Name,
  description: z.string().max(2000),
  /** Where the site is, for people: street address or a note. */
  address: z.string().max(500),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Site = z.infer<typeof Site>;

export const SiteCreate = z.object({
  name: Name,
  description: z.string().max(2000).default(''),
  address: z.string().max(500).default(''),
});
export type SiteCreate = z.infer<typeof SiteCreate>;

export const SiteUpdate = z.object({
  name: Name.optional(),
  description: z.string().max(2000).optional(),
  address: z.string().max(500).optional(),
});
export type SiteUpdate = z.infer<typeof SiteUpdate>;
