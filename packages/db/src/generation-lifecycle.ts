import type { DomainEvent } from '@genledger/core/contracts/events';
import { streams } from '@genledger/core/contracts/events';
import type {
  AwaitBackendInput,
  CallbackCompletion,
  CallbackCompletionInput,
  CallbackFailureInput,
  CompleteInput,
  FailAttemptInput,
  GenerationLifecyclePort,
  RecordedOutputKeys,
  StartInput,
  StartOutcome,
} from '@genledger/core/ports/generation-lifecycle';
import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import * as backendAttempts from './backend-attempts.ts';
import { callbackCompletion } from './callback-completion.ts';
import { failByCallback } from './callback-failure.ts';
import type { Database } from './connect.ts';
import { type EventStore, fromRow, type NewEvent } from './event-store.ts';
import { executePrepared, fixedStatement } from './executor.ts';
import { completionCtes } from './generation-completion.ts';
import { GENERATION_COLUMNS, type GenerationRow, toGenerationRecord } from './generation-store/row.ts';
import {
  ATTEMPT_CLOSED_BY,
  closeRunningAttempts,
  endFailedAttempt,
  failOpenGeneration,
} from './generation-transitions.ts';
import { recordedOutputKeys } from './recorded-output-keys.ts';
import { tablesFor } from './schema/tables.ts';
import { storedError } from './stored-text.ts';

/** What `complete` binds per call. */
type CompleteValues = {
  generationId: string;
  attempt: number;
  outputPath: string | null;
  /** JSON texts: parameters every driver binds alike. */
  outputs: string;
  promptId: string | null;
  durationMs: number;
  backendMetrics: string | null;
  events: string;
};

/**
 * The worker's state changes. Each one is a single SQL statement that moves the generation, writes
 * the run journal and appends the event together, guarded by the expected status and attempt: a
 * duplicate delivery, a racing worker or a worker that was taken over changes nothing.
 */
export class GenerationLifecycle implements GenerationLifecyclePort {
  private readonly generations: PgTable;
  private readonly runs: PgTable;
  private readonly failedMessages: PgTable;
  /** `completeByCallback`'s statement, built on first use. */
  private byCallback: ReturnType<typeof callbackCompletion> | undefined;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    private readonly events: EventStore,
  ) {
    this.generations = tablesFor(database.schema).generations;
    this.runs = tablesFor(database.schema).generationRuns;
    this.failedMessages = tablesFor(database.schema).failedMessages;
  }

  /**
   * pending → running with a new run row and GenerationStarted, in one statement. A running
   * attempt is taken over when it is stale, or when SQS redelivered the very message that started
   * it (the previous receiver never finished); its run is closed as `WorkerLost`.
   */
  async start(input: StartInput): Promise<StartOutcome> {
    const stream = streams.generation(input.generationId);
    const staleBefore = new Date(Date.now() - input.staleAfterMs).toISOString();
    // An attempt at an asynchronous backend is live until its deadline, however old; its
    // delivery comes back at the deadline and takes it over then.
    const takeover = sql`(g0.status = 'running' and exists (
        select 1 from ${this.runs} r where r.generation_id = g0.id and r.attempt = g0.attempts and r.status = 'running'
          and case when r.deadline_at is not null then r.deadline_at <= now()
                   else r.started_at < ${staleBefore}::timestamptz
                        or (r.message_id = ${input.messageId} and r.receive_count < ${input.receiveCount}) end))`;
    const rows = await executePrepared<GenerationRow & { outcome: string }>(
      this.database.db,
      'gl_start',
      sql`
        with g as (
          update ${this.generations} g0 set
            status = 'running', attempts = g0.attempts + 1, started_at = now(), updated_at = now(),
            enqueued_at = coalesce(g0.enqueued_at, now()), error_message = null
          where g0.id = ${input.generationId} and (g0.status = 'pending' or ${takeover})
          returning ${GENERATION_COLUMNS}
        ), lost as (${closeRunningAttempts(
          this.runs,
          { status: 'failed', error: ATTEMPT_CLOSED_BY.takeover },
          { from: 'g', where: sql`r.generation_id = g.id and r.attempt < g.attempts` },
        )}), run as (
          insert into ${this.runs} (generation_id, attempt, message_id, receive_count, status)
          select g.id, g.attempts, ${input.messageId}, ${input.receiveCount}, 'running' from g
          on conflict (generation_id, attempt) do nothing
        ), e as (${this.events.appendForEach('g', {
          stream,
          event: {
            type: 'GenerationStarted',
            generationId: input.generationId,
            model: fromRow('g.model'),
            attempt: fromRow('g.attempts'),
            messageId: input.messageId,
          },
          metadata: input.metadata,
        })})
        select ${GENERATION_COLUMNS}, 'started' as outcome from g
        union all
        select ${GENERATION_COLUMNS}, 'current' as outcome from ${this.generations}
        where id = ${input.generationId} and not exists (select 1 from g)`,
    );
    const row = rows[0];
    if (!row) return { outcome: 'missing' };
    const generation = toGenerationRecord(row);
    if (row.outcome === 'started') return { outcome: 'started', generation, attempt: generation.attempts };
    return {
      outcome: 'skipped',
      status: generation.status,
      reason:
        generation.status === 'running'
          ? 'another worker is running this generation'
          : `generation is ${generation.status}`,
    };
  }

  /**
   * running → completed for this attempt only, with the outputs it kept. Any failed message waiting on a retry of this
   * generation resolves in the same statement. False when the attempt no longer owns the
   * generation (cancelled meanwhile, or taken over).
   */
  async complete(input: CompleteInput): Promise<boolean> {
    // outputPath stays for one release: the first output's key (the API signs a link to it).
    const outputPath = input.outputs[0]?.key ?? null;
    const event = this.event(
      input.generationId,
      {
        type: 'GenerationCompleted',
        generationId: input.generationId,
        model: input.model,
        attempt: input.attempt,
        outputPath: outputPath ?? '',
        thumbnailPath: null,
        durationMs: input.durationMs,
        outputs: input.outputs,
      },
      input.metadata,
    );
    const rows = await this.completeStatement<{ id: string }>(this.database.db, {
      generationId: input.generationId,
      attempt: input.attempt,
      outputPath,
      outputs: JSON.stringify(input.outputs),
      promptId: input.promptId,
      durationMs: input.durationMs,
      backendMetrics: input.backendMetrics === undefined ? null : JSON.stringify(input.backendMetrics),
      events: this.events.when.values([event]),
    });
    return rows.length > 0;
  }

  /**
   * `complete`'s statement, compiled once: compiling it per call was 7 % of a backend callback's
   * CPU. Its CTEs (and their locking order) are `completionCtes`, shared with `completeByCallback`.
   */
  private readonly completeStatement = fixedStatement<CompleteValues>(
    'gl_complete',
    (v) => sql`
      with ${completionCtes(this.completionTables(), {
        generationId: v.generationId,
        attempt: v.attempt,
        outputPath: v.outputPath,
        outputs: v.outputs,
        promptId: v.promptId,
        durationMs: v.durationMs,
        runDurationMs: v.durationMs,
        backendMetrics: v.backendMetrics,
        returning: sql`g0.id`,
      })}, e as (${this.events.when.sqlFor('g', v.events)})
      select id from g`,
  );

  /** A callback's token check, completion and event in one statement (callback-completion.ts). */
  completeByCallback(input: CallbackCompletionInput): Promise<CallbackCompletion> {
    this.byCallback ??= callbackCompletion(this.completionTables(), this.events);
    return this.byCallback(this.database.db, input);
  }

  /**
   * Records a failed attempt. Transient: back to pending, so SQS's redelivery runs the next attempt.
   * Permanent: failed now, with GenerationFailed. False when the attempt no longer owns it.
   */
  async failAttempt(input: FailAttemptInput): Promise<boolean> {
    const error = storedError(input.error);
    const events: NewEvent[] = [
      this.event(
        input.generationId,
        {
          type: 'GenerationAttemptFailed',
          generationId: input.generationId,
          model: input.model,
          attempt: input.attempt,
          error,
          retriable: input.retriable,
        },
        input.metadata,
      ),
    ];
    if (!input.retriable) {
      events.push(
        this.event(
          input.generationId,
          {
            type: 'GenerationFailed',
            generationId: input.generationId,
            model: input.model,
            attempts: input.attempt,
            reason: 'permanent-error',
            error,
            durationMs: input.durationMs,
          },
          input.metadata,
        ),
      );
    }
    const rows = await executePrepared<{ id: string }>(
      this.database.db,
      'gl_fail_attempt',
      sql`
        with g as (${endFailedAttempt(this.generations, {
          id: input.generationId,
          attempt: input.attempt,
          errorMessage: error.message,
          retry: input.retriable,
          returning: sql`id`,
        })}), run as (${closeRunningAttempts(
          this.runs,
          {
            status: 'failed',
            durationMs: input.durationMs,
            error: { ...error, stack: input.error.stack ?? null },
            backendMetrics: input.backendMetrics,
          },
          { where: this.attemptOf(input) },
        )}), e as (${this.events.appendWhen('g', events)})
        select id from g`,
    );
    return rows.length > 0;
  }

  /** A callback's token check, failed attempt and events in one statement (callback-failure.ts). */
  failByCallback(input: CallbackFailureInput) {
    return failByCallback(this.database.db, this.tables(), this.events, input);
  }

  /**
   * A message that can never succeed (it does not parse): the generation, when the id could be
   * read and it is not finished, fails at once with GenerationFailed reason invalid-message. An
   * attempt still running is closed with it, as a cancel closes one: no run stays open on a
   * failed generation.
   */
  async failInvalid(input: {
    generationId: string;
    reason: string;
    metadata?: Record<string, unknown>;
  }): Promise<boolean> {
    const rows = await executePrepared<{ id: string; model: string; attempts: unknown }>(
      this.database.db,
      'gl_fail_invalid',
      sql`
        with g as (${failOpenGeneration(this.generations, {
          id: input.generationId,
          errorMessage: input.reason,
          returning: sql`id, model, attempts`,
        })}), run as (${closeRunningAttempts(
          this.runs,
          { status: 'failed', durationMs: 'elapsed', error: ATTEMPT_CLOSED_BY.invalid },
          { from: 'g', where: sql`r.generation_id = g.id` },
        )}), e as (${this.events.appendForEach('g', {
          stream: streams.generation(input.generationId),
          event: {
            type: 'GenerationFailed',
            generationId: input.generationId,
            model: fromRow('g.model'),
            attempts: fromRow('g.attempts'),
            reason: 'invalid-message',
            error: storedError({ type: 'InvalidMessage', message: input.reason }),
            durationMs: null,
          },
          metadata: input.metadata,
        })})
        select id, model, attempts from g`,
    );
    return rows.length > 0;
  }

  /** Read after an attempt wrote outputs it may not have recorded (recorded-output-keys.ts). */
  recordedOutputKeys(generationId: string, attempt: number): Promise<RecordedOutputKeys> {
    return recordedOutputKeys(this.database.db, this.generations, generationId, attempt);
  }

  awaitBackend(input: AwaitBackendInput) {
    return backendAttempts.awaitBackend(this.database.db, this.tables(), input);
  }

  recordSubmission(input: { generationId: string; attempt: number; backendId: string }) {
    return backendAttempts.recordSubmission(this.database.db, this.tables(), input);
  }

  findByCallbackToken(tokenHash: string) {
    return backendAttempts.findByCallbackToken(this.database.db, this.tables(), tokenHash);
  }

  findAttempt(generationId: string, attempt: number) {
    return backendAttempts.findAttempt(this.database.db, this.tables(), generationId, attempt);
  }

  listExpired(now: Date, limit: number) {
    return backendAttempts.listExpired(this.database.db, this.tables(), now, limit);
  }

  private tables() {
    return { generations: this.generations, runs: this.runs };
  }

  private completionTables() {
    return { generations: this.generations, runs: this.runs, failedMessages: this.failedMessages };
  }

  /** The run of `input.attempt`, once the statement's CTE `g` moved its generation. */
  private attemptOf(input: { generationId: string; attempt: number }) {
    return sql`r.generation_id = ${input.generationId} and r.attempt = ${input.attempt} and exists (select 1 from g)`;
  }

  private event(generationId: string, event: DomainEvent, metadata?: Record<string, unknown>): NewEvent {
    return { streamId: streams.generation(generationId), event, metadata };
  }
}
