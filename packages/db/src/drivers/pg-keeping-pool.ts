import type pg from 'pg';

/**
 * SQLSTATE classes after which the session is as it was before the statement: data and integrity
 * errors, serialization failures and deadlocks, syntax and access errors, a lock timeout, a
 * statement timeout or cancel. Connection errors, shutdowns and internal errors are not among them.
 */
const SESSION_KEPT = /^(22|23|40|42|44)|^(55P03|57014)$/;

/**
 * A statement the server refused on a healthy session: its connection can serve the next one.
 * pg-pool's `query` closes the connection after any error, so every lock timeout, unique
 * violation or statement timeout made the next request open a new one (a connect and
 * authentication: 100–300 ms on a loaded machine, measured around the key-lock bench's 503s).
 */
function sessionKept(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SESSION_KEPT.test(code);
}

/**
 * `pool.query` as pg-pool runs it (a connection for the statement, given back after), except that
 * a statement the server refused gives its connection back instead of closing it. Callback calls
 * are pg-pool's own; drizzle makes promise calls.
 */
export function keepSessionsOnRefusal(pool: pg.Pool): void {
  const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const query = (...args: unknown[]) => {
    if (args.some((a) => typeof a === 'function')) return original(...args);
    return pool.connect().then(async (client) => {
      try {
        const result = await client.query(args[0] as pg.QueryConfig, args[1] as unknown[] | undefined);
        client.release();
        return result;
      } catch (e) {
        client.release(sessionKept(e) ? undefined : (e as Error));
        throw e;
      }
    });
  };
  pool.query = query as typeof pool.query;
}
