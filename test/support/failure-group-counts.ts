// The failure-group counters and per-day dead-letterings as stored, against a recount from the
// members and attempts themselves (failure-group-counts.test.ts, failure-group-concurrency.test.ts).
import type { Database } from '@genledger/db/connect';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';

type Counts = Record<
  string,
  { unresolved: number; retry_issued: number; resolved: number; archived: number }
>;

/** The counters as stored, for every group with any member counted. */
export async function stored(database: Database): Promise<Counts> {
  const rows = await rowsOf<Record<string, unknown>>(
    database.db.execute(sql`
      select id, unresolved_count, retry_issued_count, resolved_count, archived_count
      from ${database.tables.failureGroups}
      where unresolved_count + retry_issued_count + resolved_count + archived_count <> 0`),
  );
  return Object.fromEntries(
    rows.map((r) => [
      String(r.id),
      {
        unresolved: Number(r.unresolved_count),
        retry_issued: Number(r.retry_issued_count),
        resolved: Number(r.resolved_count),
        archived: Number(r.archived_count),
      },
    ]),
  );
}

/** The same counts recounted from the members and their messages' current status. */
export async function recounted(database: Database): Promise<Counts> {
  const rows = await rowsOf<Record<string, unknown>>(
    database.db.execute(sql`
      select m.group_id as id,
             count(*) filter (where fm.status = 'unresolved') as unresolved,
             count(*) filter (where fm.status = 'retry_issued') as retry_issued,
             count(*) filter (where fm.status = 'resolved') as resolved,
             count(*) filter (where fm.status = 'archived') as archived
      from ${database.tables.failureGroupMembers} m
      join ${database.tables.failedMessages} fm on fm.id = m.failed_message_id
      group by m.group_id`),
  );
  return Object.fromEntries(
    rows.map((r) => [
      String(r.id),
      {
        unresolved: Number(r.unresolved),
        retry_issued: Number(r.retry_issued),
        resolved: Number(r.resolved),
        archived: Number(r.archived),
      },
    ]),
  );
}

/** Dead-letterings per group and UTC day as stored (migration 0010), and as recounted from the attempts. */
export async function days(database: Database) {
  const read = async (statement: ReturnType<typeof sql>) =>
    Object.fromEntries(
      (await rowsOf<{ group_id: string; day: string; n: unknown }>(database.db.execute(statement))).map(
        (r) => [`${r.group_id} ${r.day}`, Number(r.n)],
      ),
    );
  return {
    stored: await read(sql`
      select group_id, day::text as day, failures as n from ${database.tables.failureGroupDays}
      where failures <> 0`),
    recounted: await read(sql`
      select m.group_id, (a.failed_at at time zone 'UTC')::date::text as day, count(*) as n
      from ${database.tables.failedMessageAttempts} a
      join ${database.tables.failureGroupMembers} m on m.failed_message_id = a.failed_message_id
      group by 1, 2`),
  };
}

export async function expectDaysExact(database: Database) {
  const { stored, recounted } = await days(database);
  expect(stored).toEqual(recounted);
  return stored;
}
