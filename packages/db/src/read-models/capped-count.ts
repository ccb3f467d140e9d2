import type { CappedCount } from '@genledger/core/ports/console-read-model';
import { type SQL, sql } from 'drizzle-orm';
import { toNumber } from '../executor.ts';
import type { ReadScope } from './read-scope.ts';

/** `count(*)` of `rows` that stops after `cap + 1` of them (enough to tell "more than `cap`"). */
export const countUpTo = (rows: SQL, cap: number) => sql`(select count(*) from (${rows} limit ${cap + 1}) x)`;

/** What a count taken by `countUpTo` tells. */
export const capped = (n: number, cap: number): CappedCount => ({ n: Math.min(n, cap), more: n > cap });

/**
 * One statement: each status counted up to `cap + 1` rows and, only when some count passes the
 * cap, the planner's per-status estimate for the table `estimateFrom` (the table's row estimate
 * times each value's frequency, as of the last ANALYZE; none when it was never analysed).
 */
export async function cappedCounts(
  scope: ReadScope,
  statuses: readonly string[],
  rowsFor: (status: string) => SQL,
  cap: number,
  estimateFrom: string | undefined,
): Promise<Record<string, CappedCount>> {
  const counts = statuses.map((status, i) => sql`${countUpTo(rowsFor(status), cap)} as ${sql.raw(`c${i}`)}`);
  const anyOver = sql.join(
    statuses.map((_, i) => sql`${sql.raw(`c.c${i}`)} > ${cap}`),
    sql` or `,
  );
  const estimates = estimateFrom
    ? sql`case when ${anyOver} then (
        select json_object_agg(v.status, round(v.freq * greatest(t.reltuples, 0)))
        from pg_stats s
        join pg_namespace ns on ns.nspname = s.schemaname
        join pg_class t on t.relnamespace = ns.oid and t.relname = s.tablename
        cross join lateral unnest(s.most_common_vals::text::text[], s.most_common_freqs) as v(status, freq)
        where s.schemaname = ${scope.database.schema} and s.tablename = ${estimateFrom} and s.attname = 'status')
      end`
    : sql`null`;
  const [r] = await scope.rows(
    sql`select c.*, ${estimates} as estimates from (select ${sql.join(counts, sql`, `)}) c`,
  );
  const estimated = (r?.estimates ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    statuses.map((status, i) => {
      const count = capped(toNumber(r?.[`c${i}`] ?? 0), cap);
      // Below the exact count the statistics are stale: "more than the cap" is all that is known.
      const estimate = toNumber(estimated[status] ?? 0);
      return [status, count.more && estimate > cap ? { ...count, estimate } : count];
    }),
  );
}
