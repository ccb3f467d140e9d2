import { type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/**
 * How an attempt completes its generation, written once for the statements that do it: the
 * worker's `complete` (`gl_complete`) and a callback's `completeByCallback`. Values are bound
 * values or `sql.placeholder`s (statements compiled once); a few are SQL expressions over a CTE the
 * caller joins (`from`), the run a callback's token found.
 */
export interface CompletionParts {
  generationId: unknown;
  attempt: unknown;
  outputPath: unknown;
  /** The outputs' JSON text. */
  outputs: unknown;
  promptId: unknown;
  /** The generation's duration; the run takes `runDurationMs`. */
  durationMs: unknown;
  runDurationMs: unknown;
  /** The backend's figures' JSON text, or null. */
  backendMetrics: unknown;
  /** A CTE the generation's update joins, and a further condition over it. */
  from?: string;
  guard?: SQL;
  /** What `g` returns (columns of the generation `g0`). */
  returning: SQL;
}

export interface CompletionTables {
  generations: PgTable;
  runs: PgTable;
  failedMessages: PgTable;
}

/**
 * The CTEs `waiting, g, run, resolved` (for `with …`): the generation running at `attempt` moves to
 * completed with its outputs, its run is closed as `closeRunningAttempts` closes one (the backend's
 * figures, when given, with the time they arrived), and any failed message waiting on a retry of it
 * resolves. The failed messages are locked first, then the generation: the order an ingest and a
 * retry take them in (message, its groups, then the generation). `waiting` is an InitPlan of g's
 * condition, so it locks them before g's update locks the generation; the other way round, a
 * completion and a dead-lettering of the same generation could each hold what the other waits for
 * (test/db/generations-store.test.ts).
 */
export function completionCtes(t: CompletionTables, p: CompletionParts): SQL {
  return sql`waiting as (
        select id from ${t.failedMessages}
        where generation_id = ${p.generationId} and status = 'retry_issued'
        order by id for update
      ), g as (
        update ${t.generations} g0 set status = 'completed', output_path = ${p.outputPath},
               thumbnail_path = null, outputs = ${p.outputs}::jsonb, prompt_id = ${p.promptId}, completed_at = now(),
               duration_ms = ${p.durationMs}, updated_at = now(), error_message = null
        ${p.from ? sql.raw(`from ${p.from} `) : sql``}where g0.id = ${p.generationId} and g0.status = 'running' and g0.attempts = ${p.attempt}
          ${p.guard ? sql`and ${p.guard} ` : sql``}and (select count(*) from waiting) >= 0
        returning ${p.returning}
      ), run as (
        update ${t.runs} r set status = 'completed', completed_at = now(), duration_ms = ${p.runDurationMs},
               backend_metrics = coalesce(${p.backendMetrics}::jsonb, r.backend_metrics),
               reported_at = case when ${p.backendMetrics}::jsonb is null then r.reported_at else now() end
        where r.generation_id = ${p.generationId} and r.attempt = ${p.attempt} and exists (select 1 from g)
          and r.status = 'running'
      ), resolved as (
        update ${t.failedMessages} set status = 'resolved', status_changed_at = now()
        where id in (select id from waiting) and exists (select 1 from g)
      )`;
}
