import type {
  FailedMessageDetail,
  FailedMessageStatus,
  FailedMessageSummary,
  FailureGroup,
  RetryBatch,
} from '../contracts/failed-messages.ts';
import type { FailedMessageStatusChanges } from '../use-cases/failed-messages/change-status.ts';
import type { FailedMessageEdits } from '../use-cases/failed-messages/edit-and-retry.ts';
import type { RetryBatchPort } from '../use-cases/failed-messages/process-retry-batch.ts';

export interface FailedMessageFilter {
  statuses: FailedMessageStatus[];
  groupId?: string;
  q?: string;
  from?: Date;
  to?: Date;
}

/** Where the previous page stopped: the sort value as Postgres text and the message id. */
export interface FailedMessageKeyset {
  value: string;
  id: string;
}

export interface FailedMessageSort {
  field: 'lastFailedAt' | 'firstFailedAt';
  descending: boolean;
}

/** The failed-message store as operators use it: lists, detail, groups, status changes and edits. */
export interface FailedMessages extends FailedMessageStatusChanges, FailedMessageEdits {
  list(
    filter: FailedMessageFilter,
    sort: FailedMessageSort,
    limit: number,
    after?: FailedMessageKeyset,
  ): Promise<{ items: FailedMessageSummary[]; next: FailedMessageKeyset | undefined }>;
  get(id: string): Promise<FailedMessageDetail | undefined>;
  groups(): Promise<FailureGroup[]>;
}

/** Retry operations: their history, and what the retry use case advances. */
export interface RetryBatches extends RetryBatchPort {
  list(limit?: number): Promise<RetryBatch[]>;
  get(id: string): Promise<RetryBatch | undefined>;
}
