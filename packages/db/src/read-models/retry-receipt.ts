import type { FailedMessageStatus } from '@genledger/core/contracts/failed-messages';
import type { BatchMessage, RetryReceiptReads } from '@genledger/core/ports/console-read-model';
import { type SQL, sql } from 'drizzle-orm';
import { EVENT_ROW_COLUMNS, type EventRow, type EventStore } from '../event-store.ts';
import { toDate } from '../executor.ts';
import { textArray } from '../sql-arrays.ts';
import type { ReadScope } from './read-scope.ts';

/** A receipt lists this many of its messages, in id order. */
const RECEIPT_LIMIT = 1000;

const STATUS_CHANGED = 'FailedMessageStatusChanged';
/** The payload the in-database read takes apart: the status change as written at version 1. */
const READ_IN_DATABASE = { [STATUS_CHANGED]: 1 };

/**
 * What a retry receipt shows: the messages a batch covered — found through the status-change
 * events that carry the batch id, because a message that fails again leaves the batch — and what
 * became of each.
 *
 * The events were written by the transaction that issued the batch (`retry_batches.tx_id`,
 * migration 0007), so they are read through the `(tx_id, sequence)` index of both tables: no page
 * view scans every event, and a batch older than the archive's horizon keeps its messages. A batch
 * issued before 0007 has no `tx_id`; its transaction is looked for among the events still in
 * `events`, one scan per view, as every view scanned before (the first match ends it). That search
 * reads payloads as stored at version 1: what every event written before 0007 is.
 */
export class RetryReceiptQueries implements RetryReceiptReads {
  constructor(
    private readonly scope: ReadScope,
    private readonly events: EventStore,
  ) {}

  async batchMessages(batchId: string, createdAt: string): Promise<BatchMessage[]> {
    // While the event store reads status changes as they are stored (no upcaster, no newer
    // version), the batch's messages are picked out in the database, as a projection's fold is:
    // a receipt polls every second, and handing a 10,000-message batch's events through the
    // store took 236 ms a poll on PGlite against 16 ms here. Otherwise each event is upcast first.
    const covered = this.events.storesAsRead(READ_IN_DATABASE)
      ? this.coveredInDatabase(batchId)
      : sql`covered as (select unnest(${textArray(await this.coveredThroughStore(batchId))}) as id)`;
    const t = this.scope.tables;
    const rows = await this.scope.rows(sql`
      with ${covered}
      select fm.id, fm.status, fm.generation_id, g.status as generation_status, fm.last_failed_at, fm.last_error_type,
             fm.last_error_message, fm.model, g.prompt,
             exists (select 1 from ${t.failedMessageAttempts} a
                     where a.failed_message_id = fm.id and a.failed_at > ${createdAt}::timestamptz) as failed_again
      from covered c join ${t.failedMessages} fm on fm.id = c.id
      left join ${t.generations} g on g.id = fm.generation_id
      order by fm.id limit ${RECEIPT_LIMIT}`);
    return rows.map((r) => ({
      id: String(r.id),
      prompt: (r.prompt as string | null) ?? null,
      model: (r.model as string | null) ?? null,
      lastErrorMessage: (r.last_error_message as string | null) ?? null,
      status: r.status as FailedMessageStatus,
      generationId: (r.generation_id as string | null) ?? null,
      generationStatus: (r.generation_status as string | null) ?? null,
      lastFailedAt: toDate(r.last_failed_at).toISOString(),
      lastErrorType: (r.last_error_type as string | null) ?? null,
      failedAgain: Boolean(r.failed_again) && r.status !== 'resolved' && r.status !== 'retry_issued',
    }));
  }

  /** The CTE `issued`: the transaction that issued the batch. */
  private issued(batchId: string): SQL {
    const t = this.scope.tables;
    return sql`issued as (
      select coalesce(
        (select b.tx_id from ${t.retryBatches} b where b.id = ${batchId}),
        (select e.tx_id from ${t.events} e
         where e.event_type = ${STATUS_CHANGED} and e.event_version = 1 and e.payload->>'retryBatchId' = ${batchId}
         limit 1)) as tx_id)`;
  }

  /** The CTEs `issued` and `covered` (the ids the batch's status changes name), read in the database. */
  private coveredInDatabase(batchId: string): SQL {
    const t = this.scope.tables;
    return sql`${this.issued(batchId)}, written as (
      select e.payload from ${t.events} e where e.tx_id = (select tx_id from issued) and e.event_type = ${STATUS_CHANGED}
      union all
      select a.payload from ${t.eventsArchive} a where a.tx_id = (select tx_id from issued) and a.event_type = ${STATUS_CHANGED}
    ), covered as (
      select distinct payload->>'failedMessageId' as id from written where payload->>'retryBatchId' = ${batchId}
    )`;
  }

  /** The ids the batch's status changes name, each event read through the event store (upcast). */
  private async coveredThroughStore(batchId: string): Promise<string[]> {
    const t = this.scope.tables;
    const rows = await this.scope.rows<EventRow>(sql`
      with ${this.issued(batchId)}
      select ${EVENT_ROW_COLUMNS} from ${t.eventsArchive}
      where tx_id = (select tx_id from issued) and event_type = ${STATUS_CHANGED}
      union all
      select ${EVENT_ROW_COLUMNS} from ${t.events}
      where tx_id = (select tx_id from issued) and event_type = ${STATUS_CHANGED}`);
    const ids = new Set<string>();
    for (const row of rows) {
      const { event } = this.events.toStored(row);
      if (event.type === STATUS_CHANGED && event.retryBatchId === batchId) ids.add(event.failedMessageId);
    }
    return [...ids];
  }
}
