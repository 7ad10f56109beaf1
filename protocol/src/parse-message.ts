import { z } from 'zod';
import {
  CHANNEL_MESSAGE_TYPES,
  ChannelMessages,
  MAX_MESSAGE_BYTES,
  maxMessageBytes,
  PROTOCOL_VERSION,
} from './envelope.js';
import type { ChannelMessage } from './envelope.js';
import type { Channel } from './topics.js';

export type ParseResult<T> =
  | {
      ok: true;
      message: T;
      /**
       * The payload's JSON text when validation kept it exactly as it was (nothing stripped,
       * added or changed), so a receiver may store that text instead of serialising the message
       * again; null when it did not, or when the payload was no text. Computed on the first call.
       */
      exactText: () => string | null;
    }
  | { ok: false; error: string };

const decoder = new TextDecoder('utf-8', { fatal: true });
const MAX_ISSUES = 10;

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

function decode(
  payload: string | Uint8Array,
  limit: number,
): { ok: true; text: string } | { ok: false; error: string } {
  if (typeof payload === 'string') {
    // A JS string is UTF-16; a quick bound first avoids encoding huge strings twice.
    const bytes = payload.length > limit ? payload.length : new TextEncoder().encode(payload).length;
    if (bytes > limit) return fail(tooLarge(bytes, limit));
    return { ok: true, text: payload };
  }
  if (payload.byteLength > limit) return fail(tooLarge(payload.byteLength, limit));
  try {
    return { ok: true, text: decoder.decode(payload) };
  } catch {
    return fail('payload is not valid UTF-8');
  }
}

/** Readable issues, capped so a batch of 500 bad items does not make a 500-line log entry. */
function describeIssues(issues: z.core.$ZodIssue[]): string {
  const shown = z.prettifyError({ issues: issues.slice(0, MAX_ISSUES) });
  const more = issues.length - MAX_ISSUES;
  return more > 0 ? `${shown}\n… and ${more} more issue${more === 1 ? '' : 's'}` : shown;
}

function tooLarge(bytes: number, limit: number): string {
  return `payload is ${bytes} bytes, over the ${limit}-byte limit`;
}

/**
 * Validates a message received on `channel`. Accepts the raw payload (a string, or bytes such
 * as a Node `Buffer`) or an already-decoded value. Never throws: returns `{ok: false, error}`
 * with a readable reason (size, JSON syntax, version, or each bad field with its path).
 */
export function parseMessage<C extends Channel>(
  channel: C,
  payload: unknown,
): ParseResult<ChannelMessage<C>> {
  const schema = ChannelMessages[channel] as z.ZodType | undefined;
  if (!schema) return fail(`unknown channel ${JSON.stringify(channel)}`);
  let value = payload;
  let text: string | null = null;
  if (typeof payload === 'string' || payload instanceof Uint8Array) {
    const decoded = decode(payload, maxMessageBytes(channel));
    if (!decoded.ok) return decoded;
    text = decoded.text;
    try {
      value = JSON.parse(decoded.text);
    } catch (err) {
      return fail(`payload is not JSON: ${(err as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('payload must be a JSON object');
  }
  const v = (value as { v?: unknown }).v;
  if (v !== PROTOCOL_VERSION) {
    return fail(
      `unsupported envelope version ${JSON.stringify(v)}; this receiver speaks v${PROTOCOL_VERSION}`,
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return fail(`invalid ${channel} message:\n${describeIssues(parsed.error.issues)}`);
  let exact: string | null | undefined;
  const exactText = () => {
    exact ??= text !== null && sameJson(value, parsed.data) ? text : null;
    return exact;
  };
  return { ok: true, message: parsed.data as ChannelMessage<C>, exactText };
}

/**
 * Whether `output` holds exactly the JSON value `input`: the same keys (no more, no fewer) and
 * the same values all the way down. Validation that strips an unknown key, fills a default or
 * transforms a value makes it false.
 */
export function sameJson(input: unknown, output: unknown): boolean {
  if (input === output) return true;
  if (typeof input !== 'object' || typeof output !== 'object' || input === null || output === null) {
    return false;
  }
  if (Array.isArray(input)) {
    if (!Array.isArray(output) || output.length !== input.length) return false;
    for (let i = 0; i < input.length; i++) if (!sameJson(input[i], output[i])) return false;
    return true;
  }
  if (Array.isArray(output)) return false;
  // Counted, not listed: this runs over every object of a 500-item batch.
  let keys = 0;
  for (const key in input) {
    keys++;
    // An absent key reads as undefined (or an inherited function), which no JSON value equals.
    if (!sameJson((input as Record<string, unknown>)[key], (output as Record<string, unknown>)[key])) {
      return false;
    }
  }
  for (const _ in output) keys--;
  return keys === 0;
}

/** The channel of each message type, so a message is measured against its channel's limit. */
const CHANNEL_OF_TYPE = new Map<unknown, Channel>(
  Object.entries(CHANNEL_MESSAGE_TYPES).map(([channel, type]) => [type, channel as Channel]),
);

/**
 * Serialises a message and reports whether it fits the limit of its channel (`limit`, as
 * `maxMessageBytes` gives it; `MAX_MESSAGE_BYTES` for a value that is no message), for
 * producers that split batches.
 */
export function encodeMessage(message: unknown): {
  text: string;
  bytes: number;
  fits: boolean;
  limit: number;
} {
  const text = JSON.stringify(message);
  const bytes = new TextEncoder().encode(text).length;
  const channel = CHANNEL_OF_TYPE.get((message as { type?: unknown } | null)?.type);
  const limit = channel ? maxMessageBytes(channel) : MAX_MESSAGE_BYTES;
  return { text, bytes, fits: bytes <= limit, limit };
}
