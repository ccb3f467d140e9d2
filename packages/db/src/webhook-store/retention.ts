import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { type Executor, rowsOf } from '../executor.ts';

/**
 * One chunk of the webhook delivery retention: finished deliveries created before `before`, oldest
 * first through `webhook_deliveries_created_idx`; their attempts go by cascade. A delivery another
 * writer holds (a redelivery making it pending again) is skipped, and one that is no longer
 * finished once locked is left: the status is read again under the lock.
 */
export async function deleteFinishedDeliveries(
  db: Executor,
  deliveries: PgTable,
  before: Date,
  limit: number,
): Promise<number> {
  const rows = await rowsOf<{ id: string }>(
    db.execute(sql`
      with doomed as (
        select id from ${deliveries}
        where created_at < ${before.toISOString()}::timestamptz and status in ('delivered', 'failed', 'skipped')
        order by created_at limit ${limit}
        for update skip locked
      )
      delete from ${deliveries} d using doomed
      where d.id = doomed.id and d.status in ('delivered', 'failed', 'skipped')
      returning d.id`),
  );
  return rows.length;
}
