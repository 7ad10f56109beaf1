import { z } from 'zod';

/** Any RFC 9562 UUID: ids made by PostgreSQL (v4) or by the hub and agents (v7). */
export const Uuid = z.uuid();
export type Uuid = z.infer<typeof Uuid>;

/** A UUIDv7, for ids made by the producer of a message (see `uuidv7()`). */
export const Uuidv7 = z.uuidv7();
export type Uuidv7 = z.infer<typeof Uuidv7>;

/** An ISO 8601 UTC timestamp with a `Z` suffix, e.g. `2025-03-01T12:00:00.000Z`. */
/** ISO 8601 has a year 0000; PostgreSQL's timestamps, like the Gregorian calendar, do not. */
const notYearZero = (s: string) => !s.startsWith('0000');
const YEAR_ZERO = { message: 'year 0000 is not a valid year' };

export const Timestamp = z.iso.datetime().refine(notYearZero, YEAR_ZERO);
export type Timestamp = z.infer<typeof Timestamp>;

/** An ISO 8601 timestamp that may carry an offset; for query strings typed by people. */
export const TimestampQuery = z.iso.datetime({ offset: true }).refine(notYearZero, YEAR_ZERO);

/** A TCP or UDP port. */
export const Port = z.int().min(1).max(65535);

const ipv4 = z.ipv4();
const ipv6 = z.ipv6();
const hostname = z.hostname();

/** A device or broker host: an IPv4 address, an IPv6 address (no brackets) or a DNS name. */
export const Host = z
  .string()
  .min(1)
  .max(253)
  .refine(
    (s) => ipv4.safeParse(s).success || ipv6.safeParse(s).success || hostname.safeParse(s).success,
    'must be an IPv4 address, an IPv6 address or a DNS name',
  );
export type Host = z.infer<typeof Host>;

/** A short human-readable name (tenants, sites, devices, schedules...). */
export const Name = z.string().trim().min(1).max(200);

/** Unique uuids: a refinement for arrays of ids where a duplicate is a caller's mistake. */
export function uniqueUuids(min: number, max: number) {
  return z
    .array(Uuid)
    .min(min)
    .max(max)
    .refine((ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length, 'must not repeat an id');
}
