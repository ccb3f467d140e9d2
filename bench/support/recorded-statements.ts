// The scale bench's record of what pg sends: the last statement (so a slow query can be explained
// as it was sent) and how long each archive statement took.
import pg from 'pg';

/** Records the statements pg runs, so a slow query can be explained as it was sent. */
export function recordStatements() {
  const original = pg.Client.prototype.query;
  let last: { text: string; values: unknown[] } | undefined;
  /** Milliseconds each archive statement (one chunk: its own transaction, its locks) took. */
  const archiveStatements: number[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [a, b] = args as [unknown, unknown];
    let text = '';
    if (typeof a === 'string') {
      text = a;
      last = { text: a, values: Array.isArray(b) ? b : [] };
    } else if (a && typeof a === 'object' && 'text' in a) {
      const config = a as { text: string; values?: unknown[] };
      text = config.text;
      last = { text: config.text, values: config.values ?? (Array.isArray(b) ? b : []) };
    }
    if (!(text.includes('delete from') && text.includes('events_archive'))) {
      return (original as (...x: unknown[]) => unknown).apply(this, args);
    }
    const t0 = performance.now();
    const done = () => archiveStatements.push(performance.now() - t0);
    const callback = args.findIndex((x) => typeof x === 'function');
    if (callback >= 0) {
      const cb = args[callback] as (...r: unknown[]) => void;
      args[callback] = (...r: unknown[]) => {
        done();
        cb(...r);
      };
    }
    const result = (original as (...x: unknown[]) => unknown).apply(this, args);
    if (callback < 0 && result && typeof (result as Promise<unknown>).then === 'function')
      (result as Promise<unknown>).then(done, () => {});
    return result;
  } as typeof pg.Client.prototype.query;
  return {
    archiveStatements,
    get last() {
      return last;
    },
    restore: () => {
      pg.Client.prototype.query = original;
    },
  };
}
