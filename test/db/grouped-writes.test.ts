// groupedWhileBusy: writes that arrive while one runs go together in the next; a lone write goes at
// once; a failing group is written again item by item.
import { describe, expect, it } from 'vitest';
import { groupedWhileBusy } from '../../packages/db/src/grouped-writes.ts';

/** A write the test finishes by hand, recording each group it was given. */
function heldWrites(fail: (item: string) => boolean = () => false) {
  const groups: string[][] = [];
  const pending: (() => void)[] = [];
  const write = (items: readonly string[]) => {
    groups.push([...items]);
    return new Promise<string[]>((resolve, reject) =>
      pending.push(() =>
        items.some(fail) ? reject(new Error(`bad group ${items}`)) : resolve(items.map((i) => `${i}!`)),
      ),
    );
  };
  /** Finishes the oldest running write, and lets its continuations run. */
  const finish = async () => {
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { groups, write, finish, pending };
}

describe('groupedWhileBusy', () => {
  it('writes a lone item at once, alone', async () => {
    const h = heldWrites();
    const grouped = groupedWhileBusy(h.write, 10);
    const a = grouped('a');
    expect(h.groups).toEqual([['a']]);
    await h.finish();
    await expect(a).resolves.toBe('a!');
  });

  it('items that arrive while a write runs go together in the next, each told its own result', async () => {
    const h = heldWrites();
    const grouped = groupedWhileBusy(h.write, 10);
    const results = ['a', 'b', 'c', 'd'].map((i) => grouped(i));
    expect(h.groups).toEqual([['a']]);
    await h.finish();
    expect(h.groups).toEqual([['a'], ['b', 'c', 'd']]);
    await h.finish();
    expect(await Promise.all(results)).toEqual(['a!', 'b!', 'c!', 'd!']);
  });

  it('puts at most maxGroup items in one write', async () => {
    const h = heldWrites();
    const grouped = groupedWhileBusy(h.write, 2);
    const results = ['a', 'b', 'c', 'd', 'e'].map((i) => grouped(i));
    while (h.pending.length > 0) await h.finish();
    expect(h.groups).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    expect(await Promise.all(results)).toEqual(['a!', 'b!', 'c!', 'd!', 'e!']);
  });

  it('writes a failing group again item by item: the bad item fails alone', async () => {
    const h = heldWrites((i) => i === 'bad');
    const grouped = groupedWhileBusy(h.write, 10);
    const results = ['a', 'b', 'bad', 'c'].map((i) => grouped(i).catch((e: Error) => e.message));
    while (h.pending.length > 0) await h.finish();
    expect(h.groups).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
    expect(await Promise.all(results)).toEqual(['a!', 'b!', 'bad group bad', 'c!']);
  });
});
