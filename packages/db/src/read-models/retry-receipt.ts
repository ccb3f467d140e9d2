import type { FailedMessageStatus } from '@genledger/core/contracts/failed-messages';
import type { BatchMessage, RetryReceiptReads } from '@genledger/core/ports/console-read-model';
import { sql } from 'drizzle-orm';
import { EVENT_ROW_COLUMNS, type EventRow, type EventStore } from '../event-store.ts';
import { toDate } from '../executor.ts';
import { textArray } from './failed-selection.ts';
import type { ReadScope } from './read-scope.ts';

/** A receipt lists this many of its messages, in id order. */
const RECEIPT_LIMIT = 1000;

/** What a retry receipt shows: the messages a batch covered and what became of each. */
export class RetryReceiptQueries implements RetryReceiptReads {
  constructor(
    private readonly scope: ReadScope,
    private readonly events: EventStore,
  ) {}

  /**
   * Every message a retry batch covered — found through the status-change events that carry the
   * batch id, because a message that fails again leaves the batch — with what became of it.
   */
  async batchMessages(batchId: string, createdAt: string): Promise<BatchMessage[]> {
    const ids = await this.coveredIds(batchId);
    if (ids.length === 0) return [];
    const t = this.scope.tables;
    const rows = await this.scope.rows(sql`
      select fm.id, fm.status, fm.generation_id, g.status as generation_status, fm.last_failed_at, fm.last_error_type,
             exists (select 1 from ${t.failedMessageAttempts} a
                     where a.failed_message_id = fm.id and a.failed_at > ${createdAt}::timestamptz) as failed_again
      from ${t.failedMessages} fm
      left join ${t.generations} g on g.id = fm.generation_id
      where fm.id = any(${textArray(ids)})
      order by fm.id limit ${RECEIPT_LIMIT}`);
    return rows.map((r) => ({
      id: String(r.id),
      status: r.status as FailedMessageStatus,
      generationId: (r.generation_id as string | null) ?? null,
      generationStatus: (r.generation_status as string | null) ?? null,
      lastFailedAt: toDate(r.last_failed_at).toISOString(),
      lastErrorType: (r.last_error_type as string | null) ?? null,
      failedAgain: Boolean(r.failed_again) && r.status !== 'resolved' && r.status !== 'retry_issued',
    }));
  }

  /**
   * The ids of the messages whose status the batch changed. The events were written by the
   * transaction that issued the batch (`retry_batches.tx_id`, migration 0007), so they are read
   * through the `(tx_id, sequence)` index of both tables: no page view scans every event, and a
   * batch older than the archive's horizon keeps its messages. Each is read through the event
   * store, upcast like any other read, before its payload is looked at.
   *
   * A batch issued before 0007 has no `tx_id`; its transaction is looked for among the events
   * still in `events`, one scan per view, as every view scanned before (the first match ends it).
   * That search reads the payload as stored, at version 1: what every event written before 0007 is.
   */
  private async coveredIds(batchId: string): Promise<string[]> {
    const t = this.scope.tables;
    const type = 'FailedMessageStatusChanged';
    const rows = await this.scope.rows<EventRow>(sql`
      with issued as (
        select coalesce(
          (select b.tx_id from ${t.retryBatches} b where b.id = ${batchId}),
          (select e.tx_id from ${t.events} e
           where e.event_type = ${type} and e.event_version = 1 and e.payload->>'retryBatchId' = ${batchId}
           limit 1)) as tx_id
      )
      select ${EVENT_ROW_COLUMNS} from ${t.eventsArchive}
      where tx_id = (select tx_id from issued) and event_type = ${type}
      union all
      select ${EVENT_ROW_COLUMNS} from ${t.events}
      where tx_id = (select tx_id from issued) and event_type = ${type}`);
    const ids = new Set<string>();
    for (const row of rows) {
      const { event } = this.events.toStored(row);
      if (event.type === type && event.retryBatchId === batchId) ids.add(event.failedMessageId);
    }
    return [...ids];
  }
}
