import type {
  DailyModelOutcome,
  FailureWindow,
  IncidentReads,
  IncidentWindow,
  ModelLatency,
} from '@genledger/core/ports/console-read-model';
import { sql } from 'drizzle-orm';
import { toNumber } from '../executor.ts';
import type { ReadScope } from './read-scope.ts';

const utcDay = (column: ReturnType<typeof sql>) => sql`((${column}) at time zone 'UTC')::date::text`;
const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Math.round(toNumber(v)));

/**
 * The overview's incident reads: what is failing now against the hour before, latency per model,
 * and generations by final status beside their attempts. Each reads a bounded window through an
 * index on its time column (`generation_runs_completed_idx`, migration 0011;
 * `failed_message_attempts_failed_at_idx`; `generations_created_at_idx`).
 */
export class IncidentQueries implements IncidentReads {
  constructor(private readonly scope: ReadScope) {}

  private get t() {
    return this.scope.tables;
  }

  async dailyOutcomes(fromDay: string): Promise<DailyModelOutcome[]> {
    const from = sql`(${fromDay}::date::timestamp at time zone 'UTC')`;
    const rows = await this.scope.rows(sql`
      with gens as (
        select ${utcDay(sql`created_at`)} as day, model,
               count(*) filter (where status = 'completed') as completed,
               count(*) filter (where status = 'failed') as failed,
               count(*) filter (where status = 'cancelled') as cancelled,
               count(*) filter (where status in ('pending', 'running')) as open
        from ${this.t.generations} where created_at >= ${from} group by 1, 2
      ), runs as (
        select ${utcDay(sql`r.completed_at`)} as day, g.model,
               count(*) as attempts, count(*) filter (where r.status = 'failed') as failed_attempts
        from ${this.t.generationRuns} r join ${this.t.generations} g on g.id = r.generation_id
        where r.completed_at >= ${from} group by 1, 2
      )
      select day, model, gens.completed, gens.failed, gens.cancelled, gens.open, runs.attempts, runs.failed_attempts
      from gens full join runs using (day, model) order by model, day`);
    return rows.map((r) => ({
      day: String(r.day),
      model: String(r.model),
      completed: toNumber(r.completed ?? 0),
      failed: toNumber(r.failed ?? 0),
      cancelled: toNumber(r.cancelled ?? 0),
      open: toNumber(r.open ?? 0),
      attempts: toNumber(r.attempts ?? 0),
      failedAttempts: toNumber(r.failed_attempts ?? 0),
    }));
  }

  async incidentWindow(): Promise<IncidentWindow> {
    const window = (rows: Record<string, unknown>[]): FailureWindow[] =>
      rows.map((r) => ({
        key: String(r.key),
        title: String(r.title),
        last15: toNumber(r.last15),
        hourBefore: toNumber(r.hour_before),
      }));
    const recent = sql`now() - interval '15 minutes'`;
    const [byModel, byGroup] = await Promise.all([
      this.scope.rows(sql`
        select g.model as key, g.model as title,
               count(*) filter (where r.completed_at > ${recent}) as last15,
               count(*) filter (where r.completed_at <= ${recent}) as hour_before
        from ${this.t.generationRuns} r join ${this.t.generations} g on g.id = r.generation_id
        where r.status = 'failed' and r.completed_at > now() - interval '75 minutes'
        group by g.model order by 3 desc, 4 desc, 1 limit 20`),
      this.scope.rows(sql`
        select fg.id as key, fg.title,
               count(*) filter (where a.failed_at > ${recent}) as last15,
               count(*) filter (where a.failed_at <= ${recent}) as hour_before
        from ${this.t.failedMessageAttempts} a
        join ${this.t.failureGroupMembers} m on m.failed_message_id = a.failed_message_id
        join ${this.t.failureGroups} fg on fg.id = m.group_id
        where a.failed_at > now() - interval '75 minutes' and fg.classifier = 'exception-type-and-stack-frame'
        group by fg.id, fg.classifier, fg.title order by 3 desc, 4 desc, 1 limit 20`),
    ]);
    return { byModel: window(byModel), byGroup: window(byGroup) };
  }

  /**
   * Queue wait is known for first attempts (from the generation's creation to the attempt's
   * start); a redelivery's wait includes SQS's visibility timeout and says nothing about the queue.
   */
  async latency(): Promise<ModelLatency[]> {
    const rows = await this.scope.rows(sql`
      select g.model, count(*) as attempts,
        percentile_cont(0.5) within group (order by extract(epoch from r.started_at - g.created_at) * 1000)
          filter (where r.attempt = 1) as wait_p50,
        percentile_cont(0.95) within group (order by extract(epoch from r.started_at - g.created_at) * 1000)
          filter (where r.attempt = 1) as wait_p95,
        percentile_cont(0.5) within group (order by r.duration_ms) as processing_p50,
        percentile_cont(0.95) within group (order by r.duration_ms) as processing_p95
      from ${this.t.generationRuns} r join ${this.t.generations} g on g.id = r.generation_id
      where r.completed_at > now() - interval '1 hour'
      group by g.model order by g.model limit 50`);
    return rows.map((r) => ({
      model: String(r.model),
      attempts: toNumber(r.attempts),
      waitP50Ms: nullableNumber(r.wait_p50),
      waitP95Ms: nullableNumber(r.wait_p95),
      processingP50Ms: nullableNumber(r.processing_p50),
      processingP95Ms: nullableNumber(r.processing_p95),
    }));
  }
}
