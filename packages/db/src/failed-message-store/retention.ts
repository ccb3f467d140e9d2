import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import { textArray } from '../sql-arrays.ts';
import type { FailedMessageTables } from './context.ts';
import { lockGroups } from './lock-groups.ts';

/**
 * Deletes resolved and archived messages whose status is older than `days`, `chunk` at a time
 * (short transactions, no long locks), never unresolved or retry-issued ones; then groups left
 * without members, and the per-day counts the deleted attempts brought to zero.
 *
 * Each chunk takes its locks in the order every other writer does: its messages in id order,
 * then their groups in id order, then deletes (the delete trigger moves counters on groups it
 * already holds). Deleting straight away locked a message, then its groups, then the next
 * message: against a status change holding those messages and waiting for the same groups,
 * Postgres broke the deadlock by failing one of the two (test/db/failure-group-concurrency.test.ts).
 */
export async function deleteExpired(
  db: Executor,
  t: Pick<FailedMessageTables, 'messages' | 'groups' | 'members' | 'days'>,
  days: number,
  chunk: number,
): Promise<{ deleted: number; groupsDeleted: number }> {
  const expired = sql`status in ('resolved', 'archived') and status_changed_at < now() - make_interval(days => ${days})`;
  let deleted = 0;
  for (;;) {
    // Found through the expiry index (its order), then locked in id order, each still expired:
    // a message another writer just changed is skipped, and the loop goes on while any are found.
    const candidates = await rowsOf<{ id: string }>(
      db.execute(sql`select id from ${t.messages} where ${expired} limit ${chunk}`),
    );
    if (candidates.length === 0) break;
    const removed = await db.transaction(async (tx) => {
      const locked = await rowsOf<{ id: string }>(
        tx.execute(sql`
          select id from ${t.messages}
          where id = any(${textArray(candidates.map((c) => c.id))}) and ${expired}
          order by id for update`),
      );
      if (locked.length === 0) return 0;
      const ids = textArray(locked.map((r) => r.id));
      await lockGroups(tx, t, ids);
      const rows = await rowsOf<{ id: string }>(
        tx.execute(sql`delete from ${t.messages} where id = any(${ids}) returning id`),
      );
      return rows.length;
    });
    deleted += removed;
    if (candidates.length < chunk) break;
  }
  const groupsDeleted = await deleteEmptyGroups(db, t);
  await deleteEmptyDays(db, t);
  return { deleted, groupsDeleted };
}

/**
 * Per-day counts of a group that fell to zero (migration 0010's triggers count the deleted
 * attempts off, and keep the row): one per group and day forever otherwise. A row with failures
 * still counts attempts of messages that are kept (unresolved ones are never deleted) and stays,
 * so the counts stay exact. A writer adding to a day this deletes waits for it and inserts anew;
 * one that got there first makes the row non-zero, which the delete then skips.
 */
async function deleteEmptyDays(db: Executor, t: Pick<FailedMessageTables, 'days'>): Promise<void> {
  await db.execute(sql`delete from ${t.days} where failures = 0`);
}

/**
 * Groups left without members, each locked first and skipped when another writer holds it
 * (an ingest locks a group before it adds a member); then deleted by a second statement, whose
 * snapshot, taken once the locks are held, sees a member any writer committed before them.
 * Deleting a group being joined would cascade its new member away
 * (test/db/failure-group-concurrency.test.ts).
 */
function deleteEmptyGroups(
  db: Executor,
  t: Pick<FailedMessageTables, 'groups' | 'members'>,
): Promise<number> {
  return db.transaction(async (tx) => {
    const empty = await rowsOf<{ id: string }>(
      tx.execute(sql`
        select g.id from ${t.groups} g
        where not exists (select 1 from ${t.members} m where m.group_id = g.id)
        for update skip locked`),
    );
    if (empty.length === 0) return 0;
    const rows = await rowsOf<{ id: string }>(
      tx.execute(sql`
        delete from ${t.groups} g
        where g.id = any(${textArray(empty.map((g) => g.id))})
          and not exists (select 1 from ${t.members} m where m.group_id = g.id)
        returning id`),
    );
    return rows.length;
  });
}
