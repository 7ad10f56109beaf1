import { z } from 'zod';
import { UsmKey } from '../device-access.js';
import { Name, Timestamp, Uuid } from '../primitives.js';
import { PageQuery } from './paging.js';
import { SnmpAuthProtocol, SnmpPrivProtocol, SnmpSecurityLevel, SnmpVersion } from '../snmp.js';
import { checkV3Security } from '../snmp-security.js';

export const CredentialKind = z.enum(['snmp-community', 'snmp-v3', 'cwmp']);
export type CredentialKind = z.infer<typeof CredentialKind>;

/**
 * A stored credential as the API returns it: what it is, never what it holds. Communities,
 * keys and passwords are write-only (encrypted at rest, AES-256-GCM).
 */
export const Credential = z.object({
  id: Uuid,
  name: Name,
  kind: CredentialKind,
  /** SNMP version, for the SNMP kinds. */
  version: SnmpVersion.optional(),
  /** SNMPv3 user or CWMP user name. */
  username: z.string().optional(),
  securityLevel: SnmpSecurityLevel.optional(),
  authProtocol: SnmpAuthProtocol.optional(),
  privProtocol: SnmpPrivProtocol.optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Credential = z.infer<typeof Credential>;

const Community = z.string().min(1).max(255);
const V3User = z.string().min(1).max(32);
const CwmpUser = z.string().min(1).max(256);
const CwmpPassword = z.string().min(1).max(256);

const CommunityCreate = z.object({
  kind: z.literal('snmp-community'),
  name: Name,
  version: z.enum(['1', '2c']).default('2c'),
  community: Community,
});

const V3Create = z
  .object({
    kind: z.literal('snmp-v3'),
    name: Name,
    username: V3User,
    securityLevel: SnmpSecurityLevel,
    authProtocol: SnmpAuthProtocol.optional(),
    authKey: UsmKey.optional(),
    privProtocol: SnmpPrivProtocol.optional(),
    privKey: UsmKey.optional(),
  })
  .check((ctx) => checkV3Security(ctx.value, ctx.issues));

const CwmpCreate = z.object({
  kind: z.literal('cwmp'),
  name: Name,
  username: CwmpUser,
  password: CwmpPassword,
});

/** Creates a credential; the secrets are write-only. Discriminated on `kind`. */
export const CredentialCreate = z.discriminatedUnion('kind', [CommunityCreate, V3Create, CwmpCreate]);
export type CredentialCreate = z.infer<typeof CredentialCreate>;

/**
 * Updates a credential of the given `kind` (which cannot change). Fields left out are kept,
 * secrets included. When `securityLevel` is given, the protocols it needs must be given too;
 * keys left out keep the stored ones.
 */
export const CredentialUpdate = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('snmp-community'),
    name: Name.optional(),
    version: z.enum(['1', '2c']).optional(),
    community: Community.optional(),
  }),
  z
    .object({
      kind: z.literal('snmp-v3'),
      name: Name.optional(),
      username: V3User.optional(),
      securityLevel: SnmpSecurityLevel.optional(),
      authProtocol: SnmpAuthProtocol.optional(),
      authKey: UsmKey.optional(),
      privProtocol: SnmpPrivProtocol.optional(),
      privKey: UsmKey.optional(),
    })
    .check((ctx) => checkV3Security(ctx.value, ctx.issues, false)),
  z.object({
    kind: z.literal('cwmp'),
    name: Name.optional(),
    username: CwmpUser.optional(),
    password: CwmpPassword.optional(),
  }),
]);
export type CredentialUpdate = z.infer<typeof CredentialUpdate>;

/** `GET …/credentials`: paging and an optional kind. */
export const CredentialQuery = PageQuery.extend({
  kind: CredentialKind.optional(),
});
export type CredentialQuery = z.infer<typeof CredentialQuery>;
