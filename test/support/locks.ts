import pg from 'pg';

/**
 * Resolves once at least `count` sessions of the database at `url` are waiting for a lock (a row,
 * a table, an advisory lock): the point a concurrency test has to reach before it lets the holder
 * go. Polls pg_stat_activity; fails after `timeoutMs` instead of guessing with a sleep.
 */
export async function lockWaiters(url: string, count = 1, timeoutMs = 20_000): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
      );
      if (rows[0]!.n >= count) return;
      if (Date.now() > until)
        throw new Error(`no ${count} session(s) waiting for a lock within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await client.end();
  }
}
