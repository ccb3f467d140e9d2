import { type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { storedError, storedErrorMessage } from './stored-text.ts';

/**
 * How a generation and its attempt end, written once for every store that ends them: the worker's
 * lifecycle (GenerationLifecycle), a cancel (GenerationStore.cancel) and a dead-lettering
 * (FailedMessageStore.ingest). Each function is an UPDATE for the store to run on its own or as a
 * CTE of its statement, beside the event that records the change; none of them runs anything.
 */

/** Why an attempt still running was closed by something other than its own worker. */
export const ATTEMPT_CLOSED_BY = {
  cancel: { type: 'Cancelled', message: 'the generation was cancelled while this attempt ran' },
  takeover: { type: 'WorkerLost', message: 'the attempt was taken over after its worker stopped answering' },
  deadLetter: { type: 'DeadLettered', message: 'the message was dead-lettered while this attempt ran' },
  invalid: { type: 'InvalidMessage', message: 'a message for this generation could never be processed' },
} as const;

/**
 * How a running attempt ends. `durationMs`: as its worker measured it; `elapsed` since it started,
 * for an attempt its worker did not close; absent, left as it was (null while running).
 */
export type AttemptEnd = (
  | { status: 'completed'; durationMs: number }
  | {
      status: 'failed';
      durationMs?: number | 'elapsed';
      error: { type: string; message: string; stack?: string | null };
    }
) & {
  /** An asynchronous backend's own figures, with the time its outcome arrived. */
  backendMetrics?: object | undefined;
};

/** Which runs an `AttemptEnd` closes: a condition over the run `r`, optionally joined to a CTE. */
export interface AttemptScope {
  where: SQL;
  /** A CTE of the statement the update joins (`g`: the generation it just moved). */
  from?: string;
  returning?: SQL;
}

/** The time since the run `r` started, in whole milliseconds, never negative. */
const ELAPSED_MS = sql`greatest(0, round(extract(epoch from (now() - r.started_at)) * 1000))::int`;

/**
 * Closes the runs of `scope` that are still running (the run journal's "close the running
 * attempt"): completed, or failed with its error. A run already closed is left as it is, so a
 * duplicate delivery or a late worker changes nothing.
 */
export function closeRunningAttempts(runs: PgTable, end: AttemptEnd, scope: AttemptScope): SQL {
  const sets: SQL[] = [sql.raw(`status = '${end.status}'`), sql`completed_at = now()`];
  if (end.durationMs !== undefined) {
    sets.push(sql`duration_ms = ${end.durationMs === 'elapsed' ? ELAPSED_MS : end.durationMs}`);
  }
  if (end.status === 'failed') {
    const { type, message } = storedError(end.error);
    sets.push(sql`error_type = ${type}`, sql`error_message = ${message}`);
    if (end.error.stack !== undefined) sets.push(sql`error_stack = ${end.error.stack}`);
  }
  if (end.backendMetrics !== undefined)
    sets.push(sql`backend_metrics = ${JSON.stringify(end.backendMetrics)}::jsonb`, sql`reported_at = now()`);
  return sql`
    update ${runs} r set ${sql.join(sets, sql`, `)}
    ${scope.from ? sql.raw(`from ${scope.from} `) : sql``}where ${scope.where} and r.status = 'running'
    ${scope.returning ? sql`returning ${scope.returning}` : sql``}`;
}

/**
 * Fails the generation `id` while it is still open (pending or running), with `errorMessage`: a
 * message that can never succeed, or one that was dead-lettered. A finished generation stays as it
 * is. Its running attempt, if any, is for the caller to close (`closeRunningAttempts`).
 */
export function failOpenGeneration(
  generations: PgTable,
  input: { id: string; errorMessage: string; returning: SQL },
): SQL {
  return sql`
    update ${generations} set status = 'failed', completed_at = now(), updated_at = now(),
           error_message = ${storedErrorMessage(input.errorMessage)}
    where id = ${input.id} and status in ('pending', 'running')
    returning ${input.returning}`;
}

/**
 * Ends the generation `id` (`g0`) after its attempt `attempt` failed, only while that attempt still
 * owns it (running, and its latest): failed for good, or with `retry` back to pending, for SQS's
 * redelivery to run the next attempt. `from`: a CTE of the statement the update joins, and `guard`
 * a further condition over it.
 */
export function endFailedAttempt(
  generations: PgTable,
  input: {
    id: string;
    attempt: number;
    errorMessage: string;
    retry: boolean;
    returning: SQL;
    from?: string;
    guard?: SQL;
  },
): SQL {
  return sql`
    update ${generations} g0 set
      status = ${sql.raw(input.retry ? `'pending'` : `'failed'`)},
      completed_at = ${input.retry ? sql`null` : sql`now()`},
      error_message = ${storedErrorMessage(input.errorMessage)}, updated_at = now()
    ${input.from ? sql.raw(`from ${input.from} `) : sql``}where g0.id = ${input.id} and g0.status = 'running' and g0.attempts = ${input.attempt}
      ${input.guard ? sql`and ${input.guard} ` : sql``}returning ${input.returning}`;
}

/**
 * Cancels the generation `id` when `allowed` (the owner may see it, and its status is one the
 * cancel comes from). Its running attempt, if any, is for the caller to close.
 */
export function cancelGeneration(
  generations: PgTable,
  input: { id: string; allowed: SQL; returning: SQL },
): SQL {
  return sql`
    update ${generations} set status = 'cancelled', updated_at = now(), completed_at = now()
    where id = ${input.id} and ${input.allowed}
    returning ${input.returning}`;
}
