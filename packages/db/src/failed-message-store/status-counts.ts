import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import type { FailedMessageTables } from './context.ts';

/** Messages per status, as stored (for tests and the bench). */
export async function statusCounts(
  tx: Executor,
  t: Pick<FailedMessageTables, 'messages'>,
): Promise<Record<string, number>> {
  const rows = await rowsOf<{ status: string; n: number }>(
    tx.execute(sql`select status, count(*)::int as n from ${t.messages} group by status`),
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
}
