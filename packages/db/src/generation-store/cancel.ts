import { streams } from '@genledger/core/contracts/events';
import type { GenerationStatus } from '@genledger/core/contracts/generation';
import type { CancelOutcome } from '@genledger/core/ports/generations';
import type { Owner } from '@genledger/core/ports/principal';
import { sql } from 'drizzle-orm';
import { type EventStore, fromRow } from '../event-store.ts';
import { type Executor, rowsOf } from '../executor.ts';
import { ATTEMPT_CLOSED_BY, cancelGeneration, closeRunningAttempts } from '../generation-transitions.ts';
import { type GenerationTables, ownerFilter } from './context.ts';
import { getGeneration } from './get.ts';
import { GENERATION_COLUMNS, type GenerationRow, toGenerationRecord } from './row.ts';

/**
 * Cancels in one statement when the owner may see it and its status is one of `from`, with its
 * event; otherwise returns what is there (the use case says why not). The run of an attempt in
 * progress is closed with it (failed, `Cancelled`), and the event names that attempt; the worker
 * finishing it later finds the generation cancelled and records nothing.
 */
export async function cancel(
  db: Executor,
  t: GenerationTables,
  events: EventStore,
  id: string,
  owner: Owner,
  from: readonly GenerationStatus[],
  metadata: Record<string, unknown> = {},
): Promise<CancelOutcome> {
  const [row] = await rowsOf<GenerationRow>(
    db.execute(sql`
      with g as (${cancelGeneration(t.generations, {
        id,
        allowed: sql`${ownerFilter(owner)} and status = any(${sql.param([...from])}::text[])`,
        returning: GENERATION_COLUMNS,
      })}), run as (${closeRunningAttempts(
        t.runs,
        { status: 'failed', durationMs: 'elapsed', error: ATTEMPT_CLOSED_BY.cancel },
        { from: 'g', where: sql`r.generation_id = g.id`, returning: sql`r.attempt` },
      )}), e as (${events.appendForEach('g', {
        stream: streams.generation(id),
        event: {
          type: 'GenerationCancelled',
          generationId: id,
          model: fromRow('g.model'),
          attempt: fromRow('(select max(attempt) from run)'),
        },
        metadata,
      })})
      select * from g`),
  );
  if (row) return { cancelled: toGenerationRecord(row) };
  return { cancelled: undefined, current: await getGeneration(db, t, id, owner) };
}
