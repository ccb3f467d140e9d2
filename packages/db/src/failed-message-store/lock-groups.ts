import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../executor.ts';
import { textArray } from '../sql-arrays.ts';
import type { FailedMessageTables } from './context.ts';

/**
 * Locks, in id order, the groups of `messages` (an SQL text array) and the groups `alsoIds`:
 * every writer locks groups in id order once it holds its messages, as migration 0005's
 * counter triggers do, so two writers over the same groups wait instead of deadlocking. An ingest
 * (ingest.ts) and a retention sweep (retention.ts) take their groups' locks here.
 */
export async function lockGroups(
  tx: Executor,
  t: Pick<FailedMessageTables, 'groups' | 'members'>,
  messages: SQL,
  alsoIds: readonly string[] = [],
): Promise<void> {
  await tx.execute(sql`
      select 1 from ${t.groups}
      where id in (select group_id from ${t.members} where failed_message_id = any(${messages}))
         or id = any(${textArray(alsoIds)})
      order by id for update`);
}
