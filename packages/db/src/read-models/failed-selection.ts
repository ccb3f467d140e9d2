import type { FailedMessageStatus } from '@genledger/core/contracts/failed-messages';
import type { Selection } from '@genledger/core/ports/console-read-model';
import { type SQL, sql } from 'drizzle-orm';
import type { Tables } from '../schema/tables.ts';
import { textArray } from '../sql-arrays.ts';

/**
 * The condition on `fm` (failed_messages) for a selection's messages in one of `statuses`: its
 * ids, its group's members, or every match of its filter.
 */
export function selectionWhere(
  t: Pick<Tables, 'failureGroupMembers'>,
  selection: Selection,
  statuses: readonly FailedMessageStatus[],
): SQL {
  const parts: SQL[] = [sql`fm.status = any(${textArray(statuses)})`];
  if ('ids' in selection) {
    parts.push(sql`fm.id = any(${textArray(selection.ids)})`);
    return sql.join(parts, sql` and `);
  }
  const groupId = 'groupId' in selection ? selection.groupId : selection.filter.groupId;
  if (groupId) {
    parts.push(
      sql`fm.id in (select failed_message_id from ${t.failureGroupMembers} where group_id = ${groupId})`,
    );
  }
  if ('filter' in selection) {
    const f = selection.filter;
    parts.push(sql`fm.status = any(${textArray(f.statuses)})`);
    if (f.q) parts.push(sql`fm.search @@ websearch_to_tsquery('english', ${f.q})`);
    // Days are UTC days, whatever the session's time zone.
    if (f.from) parts.push(sql`fm.last_failed_at >= (${f.from}::date)::timestamp at time zone 'UTC'`);
    if (f.to) parts.push(sql`fm.last_failed_at < (${f.to}::date + 1)::timestamp at time zone 'UTC'`);
  }
  return sql.join(parts, sql` and `);
}
