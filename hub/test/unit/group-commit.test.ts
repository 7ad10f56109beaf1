import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/mqtt/ingest/group-commit.js';

/** A run that records its groups and finishes when told to. */
function recorder(fail: (inputs: number[]) => boolean = () => false) {
  const groups: [string, number[]][] = [];
  const pending: (() => void)[] = [];
  const run = (key: string, inputs: number[]) => {
    groups.push([key, inputs]);
    return new Promise<string[]>((resolve, reject) => {
      pending.push(() =>
        fail(inputs) ? reject(new Error(`bad ${inputs}`)) : resolve(inputs.map((i) => `${key}:${i}`)),
      );
    });
  };
  const finishNext = async () => {
    await new Promise((r) => setImmediate(r));
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { groups, run, finishNext, pending };
}

describe('GroupCommit', () => {
  it('runs a lone input at once and groups what arrives meanwhile, per key', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, { maxItems: 100, sizeOf: () => 1 });
    const outputs = [gc.submit('a', 1), gc.submit('a', 2), gc.submit('b', 9), gc.submit('a', 3)];
    expect(r.groups).toEqual([
      ['a', [1]],
      ['b', [9]],
    ]);
    await r.finishNext();
    expect(r.groups.at(-1)).toEqual(['a', [2, 3]]);
    await r.finishNext();
    await r.finishNext();
    expect(await Promise.all(outputs)).toEqual(['a:1', 'a:2', 'b:9', 'a:3']);
    expect(gc.busyKeys).toBe(0);
  });

  it('stops a group at maxItems, but always takes its first input', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, { maxItems: 10, sizeOf: (n: number) => n });
    const outputs = [12, 4, 5, 2, 30].map((n) => gc.submit('k', n));
    for (let i = 0; i < 4; i += 1) await r.finishNext();
    expect(r.groups.map(([, inputs]) => inputs)).toEqual([[12], [4, 5], [2], [30]]);
    expect(await Promise.all(outputs)).toEqual(['k:12', 'k:4', 'k:5', 'k:2', 'k:30']);
  });

  it('runs each input of a failed group alone, so only the bad one fails', async () => {
    const r = recorder((inputs) => inputs.includes(2));
    const gc = new GroupCommit(r.run, { maxItems: 100, sizeOf: () => 1 });
    const outputs = [1, 2, 3].map((n) => gc.submit('k', n).catch((err: Error) => err.message));
    for (let i = 0; i < 5; i += 1) await r.finishNext();
    expect(r.groups.map(([, inputs]) => inputs)).toEqual([[1], [2, 3], [2], [3]]);
    expect(await Promise.all(outputs)).toEqual(['k:1', 'bad 2', 'k:3']);
  });
  it('runs up to `concurrency` groups of a key at once', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, { maxItems: 100, sizeOf: () => 1, concurrency: 2 });
    const outputs = [1, 2, 3, 4].map((n) => gc.submit('k', n));
    expect(r.groups.map(([, inputs]) => inputs)).toEqual([[1], [2]]);
    await r.finishNext();
    expect(r.groups.map(([, inputs]) => inputs)).toEqual([[1], [2], [3, 4]]);
    await r.finishNext();
    await r.finishNext();
    expect(await Promise.all(outputs)).toEqual(['k:1', 'k:2', 'k:3', 'k:4']);
    expect(gc.busyKeys).toBe(0);
  });
});
