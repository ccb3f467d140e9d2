import type {
  FailedMessageDetail,
  FailedMessageSummary,
  FailureGroup,
} from '@genledger/core/contracts/failed-messages';
import type {
  FailedMessageFilter,
  FailedMessageKeyset,
  FailedMessageSort,
  FailedMessages,
} from '@genledger/core/ports/failed-messages';
import type {
  FailedMessageSelector,
  StatusChange,
  StatusChangeCandidate,
  StatusChangePlan,
  StoredStatusChange,
} from '@genledger/core/use-cases/failed-messages/change-status';
import type {
  EditCandidate,
  EditedGeneration,
  EditPlan,
} from '@genledger/core/use-cases/failed-messages/edit-and-retry';
import type { DeadLetterRecord } from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import type { Database } from './connect.ts';
import type { EventStore } from './event-store.ts';
import type { Executor } from './executor.ts';
import { changeStatus, type StatusChangeOptions } from './failed-message-store/change-status.ts';
import { type FailedMessageContext, failedMessageTables } from './failed-message-store/context.ts';
import { getFailedMessage } from './failed-message-store/detail.ts';
import { type EditOptions, editForRetry } from './failed-message-store/edit.ts';
import { listGroups } from './failed-message-store/groups.ts';
import { type IngestResult, ingest } from './failed-message-store/ingest.ts';
import { listFailedMessages } from './failed-message-store/list.ts';
import { deleteExpired } from './failed-message-store/retention.ts';
import { statusCounts } from './failed-message-store/status-counts.ts';

export type { IngestResult } from './failed-message-store/ingest.ts';

/**
 * The failed-message store: what the dead-letter queue hands over, grouped by cause, with one
 * attempt row per dead-lettering, and the operations operators run on it. Each operation lives
 * in its own file under `failed-message-store/`; this class binds them to a database and schema.
 */
export class FailedMessageStore implements FailedMessages {
  private readonly ctx: FailedMessageContext;

  constructor(database: Pick<Database, 'db' | 'schema'>, events: EventStore) {
    this.ctx = { db: database.db, t: failedMessageTables(database.schema), events };
  }

  /**
   * Records one dead-lettering in one transaction: the message, its attempt, its groups, and — for
   * a generation still open — the generation failed, each with its event. A duplicate DLQ delivery
   * adds nothing.
   */
  ingest(input: DeadLetterRecord): Promise<IngestResult> {
    return ingest(this.ctx, input);
  }

  list(
    filter: FailedMessageFilter,
    sort: FailedMessageSort,
    limit: number,
    after?: FailedMessageKeyset,
  ): Promise<{ items: FailedMessageSummary[]; next: FailedMessageKeyset | undefined }> {
    return listFailedMessages(this.ctx.db, this.ctx.t, { filter, sort, limit, after });
  }

  get(id: string): Promise<FailedMessageDetail | undefined> {
    return getFailedMessage(this.ctx.db, this.ctx.t, id);
  }

  groups(): Promise<FailureGroup[]> {
    return listGroups(this.ctx.db, this.ctx.t);
  }

  /** One group as `groups()` lists it (what a failure_group.* webhook carries), or undefined. */
  async group(id: string): Promise<FailureGroup | undefined> {
    return (await listGroups(this.ctx.db, this.ctx.t, id))[0];
  }

  /**
   * Locks the selected messages, lets `plan` pick the ones that change, and moves those to
   * `change.to` with their events, in one transaction (failed-message-store/change-status.ts).
   */
  changeStatus(
    change: StatusChange,
    selector: FailedMessageSelector,
    plan: (candidates: readonly StatusChangeCandidate[]) => StatusChangePlan,
    options: StatusChangeOptions,
  ): Promise<StoredStatusChange> {
    return changeStatus(this.ctx, change, selector, plan, options);
  }

  /**
   * An edit of one message sent as a retry batch of one, with its events, in one transaction
   * (failed-message-store/edit.ts).
   */
  editForRetry(
    edit: { id: string; generationId: string },
    plan: (candidate: EditCandidate | undefined, generation: EditedGeneration | undefined) => EditPlan,
    options: EditOptions,
  ): Promise<{ retryBatchId: string; plan: EditPlan }> {
    return editForRetry(this.ctx, edit, plan, options);
  }

  /**
   * Deletes resolved and archived messages whose status is older than `days`, `chunk` at a time,
   * then groups left without members (failed-message-store/retention.ts).
   */
  deleteExpired(days: number, chunk = 1000): Promise<{ deleted: number; groupsDeleted: number }> {
    return deleteExpired(this.ctx.db, this.ctx.t, days, chunk);
  }

  /** For tests and the bench: rows as stored. */
  statusCounts(tx: Executor = this.ctx.db): Promise<Record<string, number>> {
    return statusCounts(tx, this.ctx.t);
  }
}
