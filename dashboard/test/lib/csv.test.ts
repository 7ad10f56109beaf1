import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../src/lib/csv.js';

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    [42, '42'],
    [true, 'true'],
    [null, ''],
    [undefined, ''],
    ['', ''],
    // RFC 4180 quoting does not stop a spreadsheet from running a formula: prefix it.
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1+2', "'+1+2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['-5', '-5'],
    ['-1.5e3', '-1.5e3'],
    ['-rm', "'-rm"],
  ] as const)('%j → %s', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });
});

describe('toCsv', () => {
  it('writes a header and one CRLF-terminated line per row', () => {
    const csv = toCsv(
      [
        { a: 'x', b: 1 },
        { a: 'y,z', b: null },
      ],
      [
        { header: 'A', value: (r) => r.a },
        { header: 'B', value: (r) => r.b },
      ],
    );
    expect(csv).toBe('A,B\r\nx,1\r\n"y,z",\r\n');
  });

  it('an empty list is the header alone', () => {
    expect(toCsv([], [{ header: 'only', value: () => 1 }])).toBe('only\r\n');
  });
});
