import { streams } from '@genledger/core/contracts/events';
import type { CallbackFailure, CallbackFailureInput } from '@genledger/core/ports/generation-lifecycle';
import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { EventStore, JoinedEvent } from './event-store.ts';
import { fromRow } from './event-store.ts';
import { type Executor, executePrepared } from './executor.ts';
import { closeRunningAttempts, endFailedAttempt } from './generation-transitions.ts';
import { storedError } from './stored-text.ts';

interface Row {
  outcome: CallbackFailure['outcome'];
  receipt_handle: string | null;
}

/**
 * A callback's failure (or cancel) report in one statement, one round trip
 * (docs/backends/README.md#callbacks-in-one-round-trip): `r0` is the run of (generation, attempt)
 * whose token hash is the callback's; the generation and its run end as `failAttempt` ends them
 * (the same updates, generation first, then run), only while that run is running, the generation
 * is running at that attempt, and the job the report names (if any) is the run's. The model and
 * the duration (from the run's start to now) are the rows'; `GenerationAttemptFailed`, and
 * `GenerationFailed` when it is not retriable, are appended as `failAttempt` appends them. The last
 * select says which case it was, with the delivery the attempt held (released on a retry).
 */
export async function failByCallback(
  db: Executor,
  t: { generations: PgTable; runs: PgTable },
  events: EventStore,
  input: CallbackFailureInput,
): Promise<CallbackFailure> {
  const error = storedError(input.error);
  const stream = streams.generation(input.generationId);
  const model = fromRow('g.model');
  const appended: JoinedEvent[] = [
    {
      stream,
      event: {
        type: 'GenerationAttemptFailed',
        generationId: input.generationId,
        model,
        attempt: input.attempt,
        error,
        retriable: input.retriable,
      },
      metadata: input.metadata,
    },
  ];
  if (!input.retriable)
    appended.push({
      stream,
      event: {
        type: 'GenerationFailed',
        generationId: input.generationId,
        model,
        attempts: input.attempt,
        reason: 'permanent-error',
        error,
        durationMs: fromRow('g.duration_ms'),
      },
      metadata: input.metadata,
    });
  const reported = input.reportedBackendId;
  const sameJob = sql`(${reported}::text is null or r0.backend_id is null or r0.backend_id = ${reported}::text)`;
  const [row] = await executePrepared<Row>(
    db,
    'gl_fail_by_callback',
    sql`
      with r0 as (
        select r.backend_id, r.status, r.started_at, r.receipt_handle from ${t.runs} r
        where r.generation_id = ${input.generationId} and r.attempt = ${input.attempt}
          and r.callback_token_hash = ${input.tokenHash}
      ), g as (${endFailedAttempt(t.generations, {
        id: input.generationId,
        attempt: input.attempt,
        errorMessage: error.message,
        retry: input.retriable,
        from: 'r0',
        guard: sql`r0.status = 'running' and ${sameJob}`,
        returning: sql`g0.id, g0.model,
          greatest(0, round(extract(epoch from (now() - r0.started_at)) * 1000))::int as duration_ms`,
      })}), run as (${closeRunningAttempts(
        t.runs,
        {
          status: 'failed',
          durationMs: 'elapsed',
          error: { ...error, stack: input.error.stack ?? null },
          backendMetrics: input.backendMetrics,
        },
        {
          where: sql`r.generation_id = ${input.generationId} and r.attempt = ${input.attempt}
            and exists (select 1 from g)`,
        },
      )}), e as (${events.appendSeriesFor('g', appended)})
      select case when exists (select 1 from g) then 'failed'
                  when not exists (select 1 from r0) then 'unknown'
                  when not (select ${sameJob} from r0) then 'other-job'
                  else 'ended' end as outcome,
             (select r0.receipt_handle from r0) as receipt_handle`,
  );
  if (!row) throw new Error('the callback failure answered no row');
  return row.outcome === 'failed'
    ? { outcome: 'failed', receiptHandle: row.receipt_handle }
    : { outcome: row.outcome };
}
