import { sql } from 'drizzle-orm';
import type { StoredEvent } from '../event-store.ts';
import type { Executor } from '../executor.ts';
import { rowsOf, toNumber } from '../executor.ts';
import type { Projection } from '../projection-runner.ts';
import { tablesFor } from '../schema/tables.ts';

export interface DailyGenerationStat {
  day: string;
  model: string;
  status: string;
  count: number;
  averageDurationMs: number | null;
}

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
    async apply(tx, events: readonly StoredEvent[]) {
      // Fold the batch in memory, then one upsert: a batch of 1,000 events is one statement.
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
    },
    async reset(tx) {
      await tx.execute(sql`delete from ${table}`);
    },
    async read(db, range = {}) {
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
    },
  };
}
