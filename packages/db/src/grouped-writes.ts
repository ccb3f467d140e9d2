/**
 * Writes that arrive while one is running wait and go together in the next statement, as a group
 * commit does: a lone write goes at once, alone, and never waits for company. Each caller's promise
 * settles when its own item is written. A group that fails is written again item by item, so one
 * bad item fails alone. At most `maxGroup` items go in one statement.
 */
export function groupedWhileBusy<T, R>(
  write: (items: readonly T[]) => Promise<R[]>,
  maxGroup: number,
): (item: T) => Promise<R> {
  type Waiting = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };
  const waiting: Waiting[] = [];
  let busy = false;
  const settle = async (group: Waiting[]) => {
    try {
      const results = await write(group.map((w) => w.item));
      for (const [i, w] of group.entries()) w.resolve(results[i]!);
    } catch (e) {
      if (group.length === 1) group[0]!.reject(e);
      else for (const w of group) await settle([w]);
    }
  };
  const drain = async () => {
    busy = true;
    while (waiting.length > 0) await settle(waiting.splice(0, maxGroup));
    busy = false;
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!busy) void drain();
    });
}
