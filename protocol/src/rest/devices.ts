import { z } from 'zod';
import { SNMP_DEFAULTS } from '../job-params.js';
import { Host, Name, Port, Timestamp, Uuid } from '../primitives.js';
import { SnmpVersion } from '../snmp.js';
import { PageQuery } from './paging.js';

/** How the hub and agent talk SNMP to a device. No secrets: the credential is referenced by id. */
export const SnmpProfile = z.object({
  version: SnmpVersion.default('2c'),
  port: Port.default(SNMP_DEFAULTS.port),
  credentialId: Uuid.nullable().default(null),
  timeoutMs: z.int().min(100).max(60_000).default(SNMP_DEFAULTS.timeoutMs),
  retries: z.int().min(0).max(5).default(SNMP_DEFAULTS.retries),
  maxRepetitions: z.int().min(1).max(200).default(SNMP_DEFAULTS.maxRepetitions),
});
export type SnmpProfile = z.infer<typeof SnmpProfile>;

export const Tr181Profile = z.object({
  url: z.url({ protocol: /^https?$/ }).optional(),
  credentialId: Uuid.optional(),
});
export type Tr181Profile = z.infer<typeof Tr181Profile>;

const Tags = z.array(z.string().trim().min(1).max(64)).max(32);

export const Device = z.object({
  id: Uuid,
  tenantId: Uuid,
  siteId: Uuid,
  /** The agent that reaches this device; `null` until one is assigned. */
  agentId: Uuid.nullable(),
  name: Name,
  address: Host,
  description: z.string().max(2000),
  tags: Tags,
  snmp: SnmpProfile.nullable(),
  tr181: Tr181Profile.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Device = z.infer<typeof Device>;

export const DeviceCreate = z.object({
  siteId: Uuid,
  agentId: Uuid.nullable().default(null),
  name: Name,
  address: Host,
  description: z.string().max(2000).default(''),
  tags: Tags.default([]),
  snmp: SnmpProfile.nullable().default(null),
  tr181: Tr181Profile.nullable().default(null),
});
export type DeviceCreate = z.infer<typeof DeviceCreate>;

/** Fields left out are kept; `null` clears a nullable one; `snmp` and `tr181` replace the whole profile. */
export const DeviceUpdate = z.object({
  siteId: Uuid.optional(),
  agentId: Uuid.nullable().optional(),
  name: Name.optional(),
  address: Host.optional(),
  description: z.string().max(2000).optional(),
  tags: Tags.optional(),
  snmp: SnmpProfile.nullable().optional(),
  tr181: Tr181Profile.nullable().optional(),
});
export type DeviceUpdate = z.infer<typeof DeviceUpdate>;

export const DeviceQuery = PageQuery.extend({
  /** Matches name, address, description and tags. */
  q: z.string().max(200).optional(),
  siteId: Uuid.optional(),
  agentId: Uuid.optional(),
  /** Devices carrying exactly this tag. */
  tag: z.string().trim().min(1).max(64).optional(),
});
export type DeviceQuery = z.infer<typeof DeviceQuery>;
