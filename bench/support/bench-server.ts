// The bench's PostgreSQL server, started in the state a long-running server is in rather than a
// fresh one's: each figure is a ratio of two statements on it, and on this VM a fresh server made
// that ratio depend on which side happened to touch new memory first.
import pg from 'pg';
import { startPostgres, type TestServer } from '../../test/support/postgres-server.ts';

/**
 * Why: on this VM the first touch of a page costs ≈ 17 µs (touching 20,000 fresh pages of an
 * anonymous mapping; 0.1 µs a page the second time), tens of times what a bare host pays. A fresh
 * server pays that in two places, and neither is the statement's own work (docs/benchmarks.md):
 * - glibc gives a backend's heap back to the kernel after any statement that grew it past 128 KB,
 *   until the backend has freed one block of over 128 KB; the next statement faults the pages in
 *   again. Its environment here fixes both thresholds at 32 MB, the ceiling glibc's own
 *   adjustment reaches in a backend that ran one large statement.
 * - Shared buffers are touched for the first time as tables grow; `warm` touches them all once.
 *
 * `BENCH_SERVER=fresh` starts it as before, with glibc's defaults and cold buffers.
 */
const fresh = () => process.env.BENCH_SERVER === 'fresh';

export async function startBenchServer(): Promise<TestServer> {
  const threshold = String(32 * 1024 * 1024);
  const server = await startPostgres({
    serverEnv: fresh() ? {} : { MALLOC_TRIM_THRESHOLD_: threshold, MALLOC_MMAP_THRESHOLD_: threshold },
  });
  if (!fresh()) {
    try {
      await warm(server.url);
    } catch (e) {
      await server.stop();
      throw e;
    }
  }
  return server;
}

/** Writes a table a little larger than shared_buffers through them (not a bulk ring), then drops it. */
async function warm(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // shared_buffers counts buffers of one block (8 kB) each.
    const { rows } = await client.query<{ buffers: string }>(
      `select setting as buffers from pg_settings where name = 'shared_buffers'`,
    );
    // Nine rows of ≈ 830 bytes fill an 8 kB page; 10 % more pages than there are buffers.
    const rowCount = Math.ceil(Number(rows[0]!.buffers) * 1.1) * 9;
    await client.query('create table bench_warm (g int, pad text)');
    await client.query(
      `insert into bench_warm select g, repeat('x', 800) from generate_series(1, $1::int) g`,
      [rowCount],
    );
    await client.query('drop table bench_warm');
  } finally {
    await client.end();
  }
}
