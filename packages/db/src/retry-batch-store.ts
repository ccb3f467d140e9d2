import { streams } from '@genledger/core/contracts/events';
import type { RetryBatch } from '@genledger/core/contracts/failed-messages';
import type { RetryBatches } from '@genledger/core/ports/failed-messages';
import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from './connect.ts';
import type { EventStore } from './event-store.ts';
import { rowsOf } from './executor.ts';
import { columnTables, tablesFor } from './schema/tables.ts';
import { textArray } from './sql-arrays.ts';
import { storedErrorMessage } from './stored-text.ts';
import { rowDecoder } from './table-rows.ts';

type Row = Record<string, unknown>;
const decodeBatch = rowDecoder(() => columnTables().retryBatches);

function toBatch(raw: Row): RetryBatch {
  const b = decodeBatch(raw);
  return {
    id: b.id,
    requestedBy: b.requestedBy,
    selector: (b.selector as Record<string, unknown> | null) ?? {},
    status: b.status,
    total: b.total,
    sent: b.sent,
    failed: b.failed,
    skipped: b.skipped,
    lastError: b.lastError,
    createdAt: b.createdAt.toISOString(),
    startedAt: b.startedAt?.toISOString() ?? null,
    completedAt: b.completedAt?.toISOString() ?? null,
  };
}

/** Retry operations and their progress; which messages are sent is kept on the messages themselves. */
export class RetryBatchStore implements RetryBatches {
  private readonly batches: PgTable;
  private readonly messages: PgTable;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    private readonly events: EventStore,
  ) {
    this.batches = tablesFor(database.schema).retryBatches;
    this.messages = tablesFor(database.schema).failedMessages;
  }

  async list(limit = 50): Promise<RetryBatch[]> {
    const rows = await rowsOf<Row>(
      this.database.db.execute(
        sql`select * from ${this.batches} order by created_at desc, id limit ${limit}`,
      ),
    );
    return rows.map(toBatch);
  }

  async get(id: string): Promise<RetryBatch | undefined> {
    const [row] = await rowsOf<Row>(
      this.database.db.execute(sql`select * from ${this.batches} where id = ${id}`),
    );
    return row && toBatch(row);
  }

  async openBatches(): Promise<string[]> {
    const rows = await rowsOf<{ id: string }>(
      this.database.db.execute(
        sql`select id from ${this.batches} where status in ('pending', 'in_progress') order by created_at`,
      ),
    );
    return rows.map((r) => r.id);
  }

  /**
   * Messages of the batch still waiting to be re-sent (a message that failed again has left it),
   * each with what a retry sends: an operator's edit when there is one, else the body as it failed.
   */
  async nextUnsent(batchId: string, limit: number): Promise<{ id: string; body: string }[]> {
    return rowsOf<{ id: string; body: string }>(
      this.database.db.execute(sql`
        select id, coalesce(edited_body, body) as body from ${this.messages}
        where retry_batch_id = ${batchId} and retry_sent_at is null and status = 'retry_issued'
        order by id limit ${limit}`),
    );
  }

  async recordProgress(
    batchId: string,
    sentIds: readonly string[],
    failed: number,
    lastError: string | null,
  ): Promise<void> {
    await this.database.db.transaction(async (tx) => {
      if (sentIds.length) {
        await tx.execute(
          sql`update ${this.messages} set retry_sent_at = now() where id in (select unnest(${textArray(sentIds)}))`,
        );
      }
      await tx.execute(sql`
        update ${this.batches} set sent = sent + ${sentIds.length}, failed = failed + ${failed},
               last_error = coalesce(${lastError === null ? null : storedErrorMessage(lastError)}, last_error), status = 'in_progress',
               started_at = coalesce(started_at, now()), updated_at = now()
        where id = ${batchId}`);
    });
  }

  /** Completes the batch with its RetryBatchCompleted event (once: a completed batch stays as it is). */
  async complete(batchId: string): Promise<void> {
    await this.database.db.transaction(async (tx) => {
      const [row] = await rowsOf<Row>(
        tx.execute(sql`
          update ${this.batches} set status = 'completed', completed_at = now(), updated_at = now(),
                 started_at = coalesce(started_at, now())
          where id = ${batchId} and status in ('pending', 'in_progress')
          returning *`),
      );
      if (!row) return;
      const b = toBatch(row);
      // The event's trigger writes the deliveries that tell admin endpoints (migration 0016).
      await this.events.appendAll(
        [
          {
            streamId: streams.retryBatch(b.id),
            event: {
              type: 'RetryBatchCompleted',
              retryBatchId: b.id,
              total: b.total,
              sent: b.sent,
              failed: b.failed,
              skipped: b.skipped,
            },
          },
        ],
        { tx },
      );
    });
  }
}
