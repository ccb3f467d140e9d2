import { memo } from '@genledger/core/memo';
import { describe, expect, it } from 'vitest';

describe('memo', () => {
  it('builds once for concurrent and later callers', async () => {
    let builds = 0;
    const get = memo(async () => ++builds);
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    expect(await get()).toBe(1);
    expect(builds).toBe(1);
  });

  it('forgets a failed build: the next call builds again and is then kept', async () => {
    let builds = 0;
    const get = memo(async () => {
      builds += 1;
      if (builds === 1) throw new Error('database down at the cold start');
      return 'ready';
    });
    await expect(get()).rejects.toThrow('database down at the cold start');
    expect(await get()).toBe('ready');
    expect(await get()).toBe('ready');
    expect(builds).toBe(2);
  });
});
