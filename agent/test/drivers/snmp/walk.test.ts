import { describe, expect, it } from 'vitest';
import type { ResultError, Varbind } from '@drm/protocol';
import { SnmpError } from '../../../src/drivers/snmp/errors.js';
import { compareOids, type WalkPaging, walkSubtree } from '../../../src/drivers/snmp/walk.js';

const ROOT = '1.3.6.1.2.1.2.2';
const int = (oid: string, value = 1): Varbind => ({ oid, type: 'Integer', value });

/** A fake agent holding `tree` (sorted), paging `per` varbinds at a time. */
function pagingOver(tree: Varbind[], per = 3, overrides: Partial<WalkPaging> = {}): WalkPaging {
  return {
    page: async (oid) => {
      const after = tree.filter((vb) => compareOids(vb.oid, oid) > 0).slice(0, per);
      return after.length > 0 ? after : [{ oid, type: 'Null', value: null, error: 'endOfMibView' }];
    },
    oidOf: (vb) => vb.oid,
    isException: (vb) => vb.error !== undefined,
    convert: (vbs) => vbs,
    get: async (oid) => tree.filter((vb) => vb.oid === oid),
    isEndOfView: () => false,
    ...overrides,
  };
}

const opts = { maxVarbinds: 100, target: 'test:161' };
const table = [1, 2, 3].flatMap((col) => [1, 2].map((row) => int(`${ROOT}.1.${col}.${row}`, col * 10 + row)));
const tree = [int('1.3.6.1.2.1.1.1.0'), ...table, int('1.3.6.1.2.1.2.3.0'), int('1.3.6.1.2.1.31.1.0')];

describe('compareOids', () => {
  it.each([
    ['1.3.6.1.2', '1.3.6.1.10', -1],
    ['1.3.6.1.2.1', '1.3.6.1.2', 1],
    ['1.3.6.1', '1.3.6.1', 0],
    ['1.3.6.1', '1.3.6.1.0', -1],
    ['1.3.6.12', '1.3.6.1', 1],
    ['1.3.6.1.2.1.10', '1.3.6.1.2.1.9.1', 1],
    ['1.3.6.1.4.1.2021.9.1', '1.3.6.1.4.1.2021.10', -1],
    [
      '1.3.6.1.4.1.8072.1.2.1.1.4.0.10.1.3.6.1.4.1.2021.10',
      '1.3.6.1.4.1.8072.1.2.1.1.4.0.10.1.3.6.1.4.1.2021.1',
      1,
    ],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareOids(a, b))).toBe(sign);
  });

  it('agrees with splitting both OIDs into numbers, over random OIDs that share prefixes', () => {
    const reference = (a: string, b: string) => {
      const x = a.split('.').map(Number);
      const y = b.split('.').map(Number);
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const d = (x[i] ?? 0) - (y[i] ?? 0);
        if (d !== 0) return Math.sign(d);
      }
      return Math.sign(x.length - y.length);
    };
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const arcs = [0, 1, 2, 9, 10, 11, 99, 100, 2021, 4294967295];
    const oid = () => Array.from({ length: 2 + random(6) }, () => arcs[random(arcs.length)]).join('.');
    for (let i = 0; i < 2000; i++) {
      const a = oid();
      const b = random(2) === 0 ? oid() : `${a.slice(0, random(a.length))}${random(10)}`;
      expect(Math.sign(compareOids(a, b)), `${a} vs ${b}`).toBe(reference(a, b));
    }
  });
});

describe('walkSubtree', () => {
  it('stops at the first OID outside the subtree', async () => {
    const result = await walkSubtree(ROOT, pagingOver(tree), opts);
    expect(result).toMatchObject({ stop: 'end', varbinds: table });
    expect(result.error).toBeUndefined();
  });

  it('stops at endOfMibView', async () => {
    const result = await walkSubtree('1.3.6.1.2.1.31', pagingOver(tree), opts);
    expect(result).toMatchObject({ stop: 'end', varbinds: [tree.at(-1)] });
  });

  it.each([
    [5, 'limit', 5],
    [6, 'end', 6],
  ])('with maxVarbinds %d of 6 stops with %s', async (maxVarbinds, stop, count) => {
    const result = await walkSubtree(ROOT, pagingOver(tree, 4), { ...opts, maxVarbinds });
    expect(result.stop).toBe(stop);
    expect(result.varbinds).toHaveLength(count);
    if (stop === 'limit') expect(result.error?.code).toBe('limit');
  });

  it('reports an agent whose OIDs do not increase, with what came before', async () => {
    const loop = pagingOver(tree, 2, { page: async () => [int(`${ROOT}.1.1.1`), int(`${ROOT}.1.1.1`)] });
    const result = await walkSubtree(ROOT, loop, opts);
    expect(result.stop).toBe('error');
    expect(result.error).toMatchObject({
      code: 'protocol',
      message: expect.stringContaining('not increasing'),
    });
    expect(result.varbinds).toHaveLength(1);
  });

  it('treats an end-of-view error (SNMPv1 noSuchName) as the end', async () => {
    const noSuchName: ResultError = {
      code: 'snmp-error',
      message: 'x',
      snmpStatus: 'noSuchName',
      snmpIndex: 1,
    };
    let calls = 0;
    const v1 = pagingOver(tree, 1, {
      page: async (oid) => {
        calls += 1;
        if (calls > 2) throw new SnmpError(noSuchName);
        return tree.filter((vb) => compareOids(vb.oid, oid) > 0).slice(0, 1);
      },
      isEndOfView: (e) => e.snmpStatus === 'noSuchName',
    });
    const result = await walkSubtree(ROOT, v1, opts);
    expect(result).toMatchObject({ stop: 'end', varbinds: table.slice(0, 2) });
  });

  it('returns what was read and the error when a page fails', async () => {
    let calls = 0;
    const failing = pagingOver(tree, 2, {
      page: async (oid) => {
        calls += 1;
        if (calls === 2) throw new SnmpError({ code: 'timeout', message: 'no response' });
        return tree.filter((vb) => compareOids(vb.oid, oid) > 0).slice(0, 2);
      },
    });
    const result = await walkSubtree(ROOT, failing, opts);
    expect(result).toMatchObject({ stop: 'error', error: { code: 'timeout' }, pages: 1 });
    expect(result.varbinds).toEqual(table.slice(0, 2));
  });

  it('gets the root itself when it is an instance with nothing under it', async () => {
    const result = await walkSubtree('1.3.6.1.2.1.1.1.0', pagingOver(tree), opts);
    expect(result).toMatchObject({ stop: 'end', varbinds: [tree[0]] });
  });

  it('asks for the next page before it converts the one just read', async () => {
    const calls: string[] = [];
    const base = pagingOver(tree, 2);
    const paging: WalkPaging = {
      ...base,
      page: (oid, signal) => {
        calls.push(`page ${oid}`);
        return base.page(oid, signal);
      },
      convert: (vbs) => {
        calls.push(`convert ${vbs.at(-1)?.oid}`);
        return vbs;
      },
    };
    const result = await walkSubtree(ROOT, paging, opts);
    expect(result).toMatchObject({ stop: 'end', varbinds: table, pages: 4 });
    expect(calls).toEqual([
      `page ${ROOT}`,
      `page ${ROOT}.1.1.2`,
      `convert ${ROOT}.1.1.2`,
      `page ${ROOT}.1.2.2`,
      `convert ${ROOT}.1.2.2`,
      `page ${ROOT}.1.3.2`,
      `convert ${ROOT}.1.3.2`,
      // The last page leaves the subtree: no request after it.
      'convert 1.3.6.1.2.1.31.1.0',
    ]);
  });

  it('asks for nothing past a page that fills maxVarbinds', async () => {
    const asked: string[] = [];
    const base = pagingOver(tree, 2);
    const paging: WalkPaging = {
      ...base,
      page: (oid, signal) => {
        asked.push(oid);
        return base.page(oid, signal);
      },
    };
    const result = await walkSubtree(ROOT, paging, { ...opts, maxVarbinds: 3 });
    expect(result).toMatchObject({ stop: 'limit', pages: 2 });
    expect(result.varbinds).toEqual(table.slice(0, 3));
    expect(asked).toEqual([ROOT, `${ROOT}.1.1.2`]);
  });

  it('abandons the request made ahead of a page that turns out out of order', async () => {
    const signals: (AbortSignal | undefined)[] = [];
    const outOfOrder = [int(`${ROOT}.1.2.1`), int(`${ROOT}.1.1.1`), int(`${ROOT}.1.3.1`)];
    const paging = pagingOver(tree, 3, {
      page: (_oid, signal) => {
        signals.push(signal);
        // The first page is out of order; the one asked for ahead of it never answers.
        return signals.length === 1 ? Promise.resolve(outOfOrder) : new Promise<Varbind[]>(() => {});
      },
    });
    const result = await walkSubtree(ROOT, paging, opts);
    expect(result).toMatchObject({ stop: 'error', error: { code: 'protocol' }, pages: 1 });
    expect(result.varbinds).toEqual(outOfOrder.slice(0, 1));
    expect(signals).toHaveLength(2);
    expect(signals[1]?.aborted).toBe(true);
  });

  it('stops before the next page once the signal aborts, reporting progress on the way', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const result = await walkSubtree(ROOT, pagingOver(tree, 2), {
      ...opts,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p.varbinds);
        if (p.pages === 2) controller.abort();
      },
    });
    expect(result).toMatchObject({ stop: 'aborted', pages: 2, error: { code: 'cancelled' } });
    expect(progress).toEqual([2, 4]);
  });
});
