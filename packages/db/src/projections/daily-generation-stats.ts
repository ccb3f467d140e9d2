import type { DailyGenerationStat } from '@genledger/core/ports/console-read-model';
import { type SQL, sql } from 'drizzle-orm';
import type { StoredEvent } from '../event-store.ts';
import type { Executor } from '../executor.ts';
import { rowsOf, toNumber } from '../executor.ts';
import type { Projection } from '../projection-runner.ts';
import { tablesFor } from '../schema/tables.ts';

const STATUS_OF: Record<string, string> = {
  GenerationRequested: 'requested',
  GenerationCompleted: 'completed',
  GenerationFailed: 'failed',
  GenerationCancelled: 'cancelled',
};

/** Daily generation counts and average duration per model and outcome (UTC days). */
export function dailyGenerationStats(schema: string): Projection & {
  read(db: Executor, range?: { from?: string; to?: string }): Promise<DailyGenerationStat[]>;
} {
  const table = tablesFor(schema).dailyGenerationStats;
  return {
    name: 'daily_generation_stats',
    apply: (tx, events) => applyBatch(tx, table, events),
    foldInDatabase: {
      versions: {
        GenerationRequested: 1,
        GenerationCompleted: 1,
        GenerationFailed: 1,
        GenerationCancelled: 1,
      },
      apply: (tx, feed) => foldFeed(tx, table, feed),
    },
    async reset(tx) {
      await tx.execute(sql`delete from ${table}`);
    },
    read: (db, range = {}) => readStats(db, table, range),
  };
}

type StatsTable = ReturnType<typeof tablesFor>['dailyGenerationStats'];

/** Folds a batch of events in memory, then one upsert: a batch of 1,000 events is one statement. */
async function applyBatch(tx: Executor, table: StatsTable, events: readonly StoredEvent[]): Promise<void> {
  const acc = new Map<
    string,
    { day: string; model: string; status: string; count: number; dc: number; total: number }
  >();
  for (const { event, storedAt } of events) {
    const status = STATUS_OF[event.type];
    if (!status) continue;
    const model =
      event.type === 'GenerationRequested'
        ? event.request.model
        : 'model' in event
          ? String(event.model)
          : 'unknown';
    const day = storedAt.toISOString().slice(0, 10);
    const key = `${day}|${model}|${status}`;
    let row = acc.get(key);
    if (!row) {
      row = { day, model, status, count: 0, dc: 0, total: 0 };
      acc.set(key, row);
    }
    row.count++;
    const duration = 'durationMs' in event ? event.durationMs : null;
    if (typeof duration === 'number') {
      row.dc++;
      row.total += duration;
    }
  }
  if (acc.size === 0) return;
  await tx.execute(sql`
    insert into ${table} (day, model, status, count, duration_count, total_duration_ms)
    select day::date, model, status, count, dc, total
    from jsonb_to_recordset(${JSON.stringify([...acc.values()])}::jsonb)
      as x(day text, model text, status text, count int, dc int, total bigint)
    on conflict (day, model, status) do update set
      count = ${table}.count + excluded.count,
      duration_count = ${table}.duration_count + excluded.duration_count,
      total_duration_ms = ${table}.total_duration_ms + excluded.total_duration_ms`);
}

/**
 * `applyBatch`'s fold in SQL, over every event of `feed` at once: the same status per type, the
 * model from the request or the event (JSON null reads 'null', as String(null) does, a missing one
 * 'unknown'), the UTC day of storage, and durations only where durationMs is a number. Events of
 * other types are read and counted, not folded. Returns how many events it read.
 */
async function foldFeed(tx: Executor, table: StatsTable, feed: SQL): Promise<number> {
  const [row] = await rowsOf<{ processed: unknown }>(
    tx.execute(sql`
      with folded as (
        select day, model, status, count(*) as n, count(d) as dc, coalesce(sum(d), 0) as total
        from (
          select (e.stored_at at time zone 'UTC')::date as day,
                 case e.event_type when 'GenerationRequested' then 'requested' when 'GenerationCompleted' then 'completed'
                                   when 'GenerationFailed' then 'failed' when 'GenerationCancelled' then 'cancelled' end as status,
                 case when e.event_type = 'GenerationRequested' then e.payload->'request'->>'model'
                      when jsonb_typeof(e.payload->'model') = 'null' then 'null'
                      when e.payload ? 'model' then e.payload->>'model'
                      else 'unknown' end as model,
                 case when jsonb_typeof(e.payload->'durationMs') = 'number' then (e.payload->>'durationMs')::numeric end as d
          from ${feed} e
        ) x
        group by day, model, status
      ), stored as (
        insert into ${table} (day, model, status, count, duration_count, total_duration_ms)
        select day, model, status, n, dc, total from folded where status is not null
        on conflict (day, model, status) do update set
          count = ${table}.count + excluded.count,
          duration_count = ${table}.duration_count + excluded.duration_count,
          total_duration_ms = ${table}.total_duration_ms + excluded.total_duration_ms
      )
      select coalesce(sum(n), 0) as processed from folded`),
  );
  return toNumber(row?.processed);
}

async function readStats(
  db: Executor,
  table: StatsTable,
  range: { from?: string; to?: string },
): Promise<DailyGenerationStat[]> {
  const rows = await rowsOf<Record<string, unknown>>(
    db.execute(sql`
      select day::text as day, model, status, count, duration_count, total_duration_ms from ${table}
      where (${range.from ?? null}::date is null or day >= ${range.from ?? null}::date)
        and (${range.to ?? null}::date is null or day <= ${range.to ?? null}::date)
      order by day, model, status`),
  );
  return rows.map((r) => ({
    day: String(r.day),
    model: String(r.model),
    status: String(r.status),
    count: toNumber(r.count),
    averageDurationMs:
      toNumber(r.duration_count) > 0
        ? Math.round(toNumber(r.total_duration_ms) / toNumber(r.duration_count))
        : null,
  }));
}
