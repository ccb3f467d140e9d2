import type { FailedMessageSummary } from '@genledger/core/contracts/failed-messages';
import type {
  FailedMessageFilter,
  FailedMessageKeyset,
  FailedMessageSort,
} from '@genledger/core/ports/failed-messages';
import { type SQL, sql } from 'drizzle-orm';
import { type Executor, executePrepared } from '../executor.ts';
import { textArray } from '../sql-arrays.ts';
import type { FailedMessageTables } from './context.ts';
import { type Row, SUMMARY_COLUMNS, toSummary } from './rows.ts';

/** One page of failed messages, filtered and sorted, keyset-paged on (sort column, id). */
export async function listFailedMessages(
  db: Executor,
  t: Pick<FailedMessageTables, 'messages' | 'members'>,
  query: { filter: FailedMessageFilter; sort: FailedMessageSort; limit: number; after?: FailedMessageKeyset },
): Promise<{ items: FailedMessageSummary[]; next: FailedMessageKeyset | undefined }> {
  const { filter, sort, limit, after } = query;
  const col = sql.raw(sort.field === 'lastFailedAt' ? 'last_failed_at' : 'first_failed_at');
  const dir = sql.raw(sort.descending ? 'desc' : 'asc');
  const cmp = sql.raw(sort.descending ? '<' : '>');
  // The statuses as one bound text[] parameter, never pasted into SQL.
  const where: SQL[] = [sql`status in (select unnest(${textArray(filter.statuses)}))`];
  if (filter.groupId)
    where.push(sql`id in (select failed_message_id from ${t.members} where group_id = ${filter.groupId})`);
  if (filter.q) where.push(sql`search @@ websearch_to_tsquery('english', ${filter.q})`);
  if (filter.from) where.push(sql`last_failed_at >= ${filter.from.toISOString()}::timestamptz`);
  if (filter.to) where.push(sql`last_failed_at < ${filter.to.toISOString()}::timestamptz`);
  if (after) where.push(sql`(${col}, id) ${cmp} (${after.value}::timestamptz, ${after.id})`);
  const rows = await executePrepared<Row>(
    db,
    'gl_fm_list',
    sql`select ${SUMMARY_COLUMNS}, ${col}::text as sort_key from ${t.messages}
          where ${sql.join(where, sql` and `)}
          order by ${col} ${dir}, id ${dir} limit ${limit + 1}`,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toSummary),
    next: rows.length > limit && last ? { value: String(last.sort_key), id: String(last.id) } : undefined,
  };
}
