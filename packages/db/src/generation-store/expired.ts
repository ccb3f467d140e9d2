import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import { uuidArray } from '../sql-arrays.ts';
import type { GenerationTables } from './context.ts';

/**
 * The retention sweep's reads and deletes: finished generations (completed, failed, cancelled)
 * unchanged since `before`, oldest first. The sweep deletes their outputs from the store first and
 * the rows after, so a failure between the two leaves a row whose outputs the next run deletes
 * again, never outputs nobody can find.
 */
export async function findExpired(
  db: Executor,
  t: GenerationTables,
  before: Date,
  limit: number,
): Promise<string[]> {
  const rows = await rowsOf<{ id: string }>(
    db.execute(sql`
      select id from ${t.generations}
      where status in ('completed', 'failed', 'cancelled') and updated_at < ${before.toISOString()}::timestamptz
      order by updated_at limit ${limit}`),
  );
  return rows.map((r) => r.id);
}

/** Deletes the rows (their runs cascade); a generation that changed meanwhile stays. */
export async function deleteExpired(
  db: Executor,
  t: GenerationTables,
  ids: readonly string[],
  before: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await rowsOf<{ id: string }>(
    db.execute(sql`
      delete from ${t.generations}
      where id = any(${uuidArray(ids)}) and status in ('completed', 'failed', 'cancelled')
        and updated_at < ${before.toISOString()}::timestamptz
      returning id`),
  );
  return rows.length;
}
