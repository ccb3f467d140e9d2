import { streams } from '@genledger/core/contracts/events';
import type { CallbackCompletion, CallbackCompletionInput } from '@genledger/core/ports/generation-lifecycle';
import { sql } from 'drizzle-orm';
import { type EventStore, fromRow, type JoinedEvent } from './event-store.ts';
import { type Executor, fixedStatement, toNumber } from './executor.ts';
import { type CompletionTables, completionCtes } from './generation-completion.ts';

type Values = {
  generationId: string;
  attempt: number;
  tokenHash: string;
  reportedBackendId: string | null;
  outputPath: string | null;
  outputs: string;
  backendMetrics: string | null;
  payload: string;
  metadata: string;
  stream: string;
};

interface Row {
  outcome: CallbackCompletion['outcome'];
  duration_ms: unknown;
  recorded: unknown;
}

/** The event: model and duration are the row's, as the statement completes it. */
const completedEvent = (input: CallbackCompletionInput, outputPath: string | null): JoinedEvent => ({
  stream: streams.generation(input.generationId),
  event: {
    type: 'GenerationCompleted',
    generationId: input.generationId,
    model: fromRow('g.model'),
    attempt: input.attempt,
    outputPath: outputPath ?? '',
    thumbnailPath: null,
    durationMs: fromRow('g.duration_ms'),
    outputs: input.outputs,
  },
  metadata: input.metadata,
});

/**
 * A callback's success in one statement, one round trip (docs/backends.md#callbacks): `r0` is the
 * run of (generation, attempt) whose token hash is the callback's; the generation completes as
 * `gl_complete` completes it, only while that run is running, the generation is running at that
 * attempt, and the job the report names (if any) is the run's. The prompt id is the run's job id;
 * the duration runs from the run's start to now. The last select says which case it was. Its read
 * of the generation locks the row (`for share`), so it sees the latest committed version, not the
 * statement's snapshot: a repeated callback racing the one that completed the attempt waits for it
 * and finds its outputs recorded, and they are not deleted as an ended attempt's would be (the
 * conditions sit in the select list, not the WHERE, so the row is locked whatever it held before).
 */
export function callbackCompletion(t: CompletionTables, events: EventStore) {
  const sameJob = (reported: unknown) =>
    sql`(${reported}::text is null or r0.backend_id is null or r0.backend_id = ${reported}::text)`;
  const statement = fixedStatement<Values>(
    'gl_complete_by_callback',
    (v) => sql`
      with r0 as (
        select r.backend_id, r.status, r.started_at from ${t.runs} r
        where r.generation_id = ${v.generationId} and r.attempt = ${v.attempt}
          and r.callback_token_hash = ${v.tokenHash}
      ), ${completionCtes(t, {
        generationId: v.generationId,
        attempt: v.attempt,
        outputPath: v.outputPath,
        outputs: v.outputs,
        promptId: sql`r0.backend_id`,
        durationMs: sql`greatest(0, round(extract(epoch from (now() - r0.started_at)) * 1000))::int`,
        runDurationMs: sql`(select g.duration_ms from g)`,
        backendMetrics: v.backendMetrics,
        from: 'r0',
        guard: sql`r0.status = 'running' and ${sameJob(v.reportedBackendId)}`,
        returning: sql`g0.id, g0.model, g0.duration_ms`,
      })}, e as (${events.joined.sqlFor('g', events.joined.shape(completedEvent(SHAPE_INPUT, null)), v)})
      select case when exists (select 1 from g) then 'completed'
                  when not exists (select 1 from r0) then 'unknown'
                  when not (select ${sameJob(v.reportedBackendId)} from r0) then 'other-job'
                  else 'ended' end as outcome,
             (select g.duration_ms from g) as duration_ms,
             (select case when g1.status = 'completed' and g1.attempts = ${v.attempt} then g1.outputs end
              from ${t.generations} g1 where g1.id = ${v.generationId} for share) as recorded`,
  );
  return async (db: Executor, input: CallbackCompletionInput): Promise<CallbackCompletion> => {
    // output_path stays for one release, as `complete` writes it: the first output's key.
    const outputPath = input.outputs[0]?.key ?? null;
    const event = events.joined.values(completedEvent(input, outputPath));
    const [row] = await statement<Row>(db, {
      generationId: input.generationId,
      attempt: input.attempt,
      tokenHash: input.tokenHash,
      reportedBackendId: input.reportedBackendId,
      outputPath,
      outputs: JSON.stringify(input.outputs),
      backendMetrics: input.backendMetrics === undefined ? null : JSON.stringify(input.backendMetrics),
      ...event,
    });
    if (!row) throw new Error('the callback completion answered no row');
    if (row.outcome === 'completed') return { outcome: 'completed', durationMs: toNumber(row.duration_ms) };
    if (row.outcome !== 'ended') return { outcome: row.outcome };
    const recorded = (typeof row.recorded === 'string' ? JSON.parse(row.recorded) : row.recorded) as
      | { key: string }[]
      | null;
    return { outcome: 'ended', recordedKeys: (recorded ?? []).map((o) => o.key) };
  };
}

/** Any input: the statement's text depends only on which fields are the row's. */
const SHAPE_INPUT: CallbackCompletionInput = {
  generationId: '',
  attempt: 0,
  tokenHash: '',
  reportedBackendId: null,
  outputs: [],
};
