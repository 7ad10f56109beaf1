import { describe, expect, it } from 'vitest';
import { Errors } from '../../src/errors.js';
import { cursorClause, decodeCursor, encodeCursor, iso, pageFrom } from '../../src/lib/paging.js';

const ID = '0192f0c4-8b2e-7a31-9c4d-5e6f7a8b9c0d';
const AT = new Date('2025-03-01T12:00:00.123Z');

function expectBadCursor(cursor: string) {
  try {
    decodeCursor(cursor);
  } catch (err) {
    expect(err).toBeInstanceOf(Errors.BAD_CURSOR);
    expect((err as { code: string; statusCode: number }).code).toBe('BAD_CURSOR');
    expect((err as { statusCode: number }).statusCode).toBe(400);
    return;
  }
  throw new Error(`cursor ${cursor} was accepted`);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors', () => {
  it('round-trip a Date or a string timestamp', () => {
    expect(decodeCursor(encodeCursor(AT, ID))).toEqual({ t: AT.toISOString(), id: ID });
    expect(decodeCursor(encodeCursor('2025-03-01T12:00:00Z', ID))).toEqual({
      t: '2025-03-01T12:00:00Z',
      id: ID,
    });
  });

  it('are URL-safe', () => {
    expect(encodeCursor(AT, ID)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([undefined, ''])('no cursor (%j) means the first page', (cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['base64 of text', Buffer.from('hello').toString('base64url')],
    ['a JSON array', b64([AT.toISOString(), ID])],
    ['null', b64(null)],
    ['a bad id', b64({ t: AT.toISOString(), id: "1' OR '1'='1" })],
    ['a missing id', b64({ t: AT.toISOString() })],
    ['a bad time', b64({ t: 'yesterday', id: ID })],
    ['a numeric time', b64({ t: 12, id: ID })],
  ])('refuse %s with BAD_CURSOR', (_what, cursor) => {
    expectBadCursor(cursor);
  });
});

describe('pageFrom', () => {
  const rows = [3, 2, 1].map((n) => ({
    n,
    at: new Date(AT.getTime() - n * 1000),
    id: ID.replace(/d$/, String(n)),
  }));
  const key = (r: (typeof rows)[number]) => ({ at: r.at, id: r.id });

  it('gives no next cursor when the extra row is absent', () => {
    expect(pageFrom(rows, 3, key, (r) => r.n)).toEqual({ items: [3, 2, 1], nextCursor: null });
    expect(pageFrom(rows, 5, key, (r) => r.n)).toEqual({ items: [3, 2, 1], nextCursor: null });
    expect(pageFrom([], 5, key, (r) => r.n)).toEqual({ items: [], nextCursor: null });
  });

  it('drops the extra row and points the cursor at the last row kept', () => {
    const page = pageFrom(rows, 2, key, (r) => r.n);
    expect(page.items).toEqual([3, 2]);
    expect(decodeCursor(page.nextCursor ?? undefined)).toEqual({
      t: rows[1]!.at.toISOString(),
      id: rows[1]!.id,
    });
  });
});

describe('cursorClause', () => {
  it('adds nothing without a cursor', () => {
    const params: unknown[] = ['x'];
    expect(cursorClause(null, 'created_at', 'id', params)).toBe('');
    expect(params).toEqual(['x']);
  });

  it('appends a row comparison with numbered parameters', () => {
    const params: unknown[] = ['x'];
    const sql = cursorClause({ t: AT.toISOString(), id: ID }, 'created_at', 'id', params);
    expect(sql).toBe(' AND (created_at, id) < ($2::timestamptz, $3::uuid)');
    expect(params).toEqual(['x', AT.toISOString(), ID]);
  });
});

describe('iso', () => {
  it.each([
    [null, null],
    [undefined, null],
    [AT, '2025-03-01T12:00:00.123Z'],
    ['2025-03-01 13:00:00+01', '2025-03-01T12:00:00.000Z'],
  ])('iso(%j) is %j', (value, expected) => {
    expect(iso(value)).toBe(expected);
  });
});
