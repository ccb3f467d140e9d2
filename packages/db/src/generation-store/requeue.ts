import { streams } from '@genledger/core/contracts/events';
import type { RequeueOutcome } from '@genledger/core/ports/generations';
import type { Owner } from '@genledger/core/ports/principal';
import { sql } from 'drizzle-orm';
import { type EventStore, fromRow } from '../event-store.ts';
import { type Executor, rowsOf } from '../executor.ts';
import { type GenerationTables, ownerFilter } from './context.ts';
import { getGeneration } from './get.ts';
import { GENERATION_COLUMNS, type GenerationRow, toGenerationRecord } from './row.ts';

/**
 * Moves a failed generation the owner may see back to pending in one statement, with its
 * GenerationRequeued event (no retry batch: an operator re-ran it from its page); otherwise
 * returns what is there (the use case says why not). It is marked enqueued, as a new generation
 * is: the caller sends its message next and marks it not enqueued if the send fails.
 */
export async function requeue(
  db: Executor,
  t: GenerationTables,
  events: EventStore,
  id: string,
  owner: Owner,
  metadata: Record<string, unknown> = {},
): Promise<RequeueOutcome> {
  const [row] = await rowsOf<GenerationRow>(
    db.execute(sql`
      with g as (
        update ${t.generations}
        set status = 'pending', completed_at = null, error_message = null, enqueued_at = now(), updated_at = now()
        where id = ${id} and ${ownerFilter(owner)} and status = 'failed'
        returning ${GENERATION_COLUMNS}
      ), e as (${events.appendForEach('g', {
        stream: streams.generation(id),
        event: {
          type: 'GenerationRequeued',
          generationId: id,
          model: fromRow('g.model'),
          retryBatchId: null,
        },
        metadata,
      })})
      select * from g`),
  );
  if (row) return { requeued: toGenerationRecord(row) };
  return { requeued: undefined, current: await getGeneration(db, t, id, owner) };
}
