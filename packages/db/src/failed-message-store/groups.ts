import type { FailureGroup } from '@genledger/core/contracts/failed-messages';
import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import type { FailedMessageTables } from './context.ts';
import { decodeGroup, type Row } from './rows.ts';

/**
 * The failure groups that have members, latest failure first, counted by their counters (0005);
 * with `id`, that one group, members or not.
 */
export async function listGroups(
  db: Executor,
  t: Pick<FailedMessageTables, 'groups'>,
  id?: string,
): Promise<FailureGroup[]> {
  const rows = await rowsOf<Row & { count: number; unresolved: number; retry_issued: number }>(
    db.execute(sql`
      select g.id, g.classifier, g.title, g.first_failed_at, g.last_failed_at,
             g.unresolved_count + g.retry_issued_count + g.resolved_count as count,
             g.unresolved_count as unresolved, g.retry_issued_count as retry_issued
      from ${t.groups} g
      where ${id === undefined ? sql`g.unresolved_count + g.retry_issued_count + g.resolved_count > 0` : sql`g.id = ${id}`}
      order by g.last_failed_at desc, g.id`),
  );
  return rows.map((r) => {
    const g = decodeGroup(r);
    return {
      id: g.id,
      classifier: g.classifier,
      title: g.title,
      count: r.count,
      unresolved: r.unresolved,
      retryIssued: r.retry_issued,
      firstFailedAt: g.firstFailedAt.toISOString(),
      lastFailedAt: g.lastFailedAt.toISOString(),
    };
  });
}
