import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CHANNELS,
  CredentialCreate,
  DeviceCreate,
  EnrollRequest,
  EnrollResponse,
  ErrorBody,
  JobCreate,
  JobKind,
  LoginRequest,
  LoginResponse,
  isChannel,
  parseMessage,
} from '../src/index.js';

const root = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** REST bodies with fixtures, by file-name prefix. */
const DTOS: Record<string, z.ZodType> = {
  'job-create': JobCreate,
  'credential-create': CredentialCreate,
  'device-create': DeviceCreate,
  'login-request': LoginRequest,
  'login-response': LoginResponse,
  'enroll-request': EnrollRequest,
  'enroll-response': EnrollResponse,
  'error-body': ErrorBody,
};
const PREFIXES = [...CHANNELS, ...Object.keys(DTOS)].sort((a, b) => b.length - a.length);

/** The channel or DTO a valid fixture's name starts with; the longest wins (`config-ack` over `config`). */
function targetOf(file: string): string {
  const target = PREFIXES.find((p) => file.startsWith(`${p}-`));
  if (!target) throw new Error(`${file}: name must start with a channel or DTO prefix`);
  return target;
}

function check(target: string, payload: unknown): { ok: true } | { ok: false; error: string } {
  if (isChannel(target)) return parseMessage(target, payload);
  const schema = DTOS[target];
  if (!schema) return { ok: false, error: `no schema for ${target}` };
  const parsed = schema.safeParse(payload);
  // Same formatting as parseMessage, so both kinds of fixture assert on the same text.
  return parsed.success ? { ok: true } : { ok: false, error: z.prettifyError(parsed.error) };
}

function list(dir: string): string[] {
  return readdirSync(join(root, dir)).filter((f) => f.endsWith('.json'));
}

const valid = list('valid').map((file) => ({
  file,
  target: targetOf(file),
  payload: JSON.parse(readFileSync(join(root, 'valid', file), 'utf8')) as unknown,
}));

interface InvalidFixture {
  schema: string;
  reason: string;
  field: string;
  payload?: unknown;
  payloadText?: string;
}
const invalid = list('invalid').map((file) => ({
  file,
  ...(JSON.parse(readFileSync(join(root, 'invalid', file), 'utf8')) as InvalidFixture),
}));

describe('valid fixtures', () => {
  it.each(valid)('$file parses as $target', ({ target, payload }) => {
    expect(check(target, payload)).toEqual({
      ok: true,
      ...(isChannel(target) ? { message: expect.anything(), exactText: expect.any(Function) } : {}),
    });
  });

  it.each([...CHANNELS])('channel %s has at least one fixture', (channel) => {
    expect(valid.some((f) => f.target === channel)).toBe(true);
  });

  it.each(JobKind.options)('job kind %s has a JobCreate fixture', (kind) => {
    expect(
      valid.some((f) => f.target === 'job-create' && (f.payload as { kind: string }).kind === kind),
    ).toBe(true);
  });
});

describe('invalid fixtures', () => {
  it.each(invalid)('$file is rejected: $reason', ({ schema, field, payload, payloadText }) => {
    const result = check(schema, payloadText ?? payload);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain(field);
  });

  it.each(invalid)('$file gives a readable error', ({ schema, payload, payloadText }) => {
    const result = check(schema, payloadText ?? payload);
    if (!result.ok) expect(result.error).not.toMatch(/\[object Object\]/);
  });
});
