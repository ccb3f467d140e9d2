// Samples pg_stat_activity every 20 ms while a bench holds a row lock: each statement that waited
// for a lock, which locks it waited for (a tuple lock first means it queued behind another waiter
// and then waits again for the holder), and the most sessions waiting at once. Sampling misses
// waits shorter than its period, never invents one.
import pg from 'pg';

export function sampleLockWaits(url: string) {
  const client = new pg.Client({ connectionString: url });
  const statements = new Map<string, { events: Set<string>; first: number; last: number }>();
  let most = 0;
  let running = true;
  const done = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ pid: number; started: string; event: string }>(
        `select pid, query_start::text as started, wait_event as event from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
      );
      const now = performance.now();
      most = Math.max(most, rows.length);
      for (const r of rows) {
        const key = `${r.pid} ${r.started}`;
        const s = statements.get(key) ?? { events: new Set<string>(), first: now, last: now };
        s.events.add(r.event);
        s.last = now;
        statements.set(key, s);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.end();
  })();
  return async () => {
    running = false;
    await done;
    const waits = [...statements.values()];
    return {
      statements: waits.length,
      waitedTwice: waits.filter((s) => s.events.has('tuple')).length,
      mostWaitingAtOnce: most,
      longestWaitSeenMs: Math.round(Math.max(0, ...waits.map((s) => s.last - s.first))),
    };
  };
}
