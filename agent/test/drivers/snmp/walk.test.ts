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
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareOids(a, b))).toBe(sign);
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
