import {
  type FailedMessageOperation,
  type FailedMessageStatus,
  MAX_PER_OPERATION,
  OPERATION_FROM,
  OPERATION_TO,
} from '../../contracts/failed-messages.ts';
import { conflict, notFound } from '../../errors.ts';

/**
 * Which messages an operation applies to. By ids it is all or nothing; by group the ineligible
 * ones are skipped and counted, and the first MAX_PER_OPERATION eligible ones by id change.
 * `reason` rides along into a retry batch's recorded selector.
 */
export type FailedMessageSelector = ({ ids: string[] } | { groupId: string }) & { reason?: string };

/** A selected message as the store found it, locked for the change. */
export interface StatusChangeCandidate {
  id: string;
  status: FailedMessageStatus;
  invalid: boolean;
}

export interface StatusChangePlan {
  ids: string[];
  skipped: number;
}

export interface StatusChangeOutcome {
  changed: number;
  skipped: number;
  /** Eligible messages of the group were left for another run (never for ids). */
  more: boolean;
  /** Where the next run over the group goes on (its `after`); null: from the first member. */
  next: string | null;
  retryBatchId: string | null;
}

/** What the store reports: the outcome, and for a group whether the group exists at all. */
export interface StoredStatusChange extends StatusChangeOutcome {
  /**
   * By group: whether the group exists. One can exist with no members left (the retention sweep
   * deleted them while an operator acted on it, before it deleted the group). Always true by ids.
   */
  groupFound: boolean;
}

/** What a status change moves and where: `eligible` is the rule `isEligible` states, for SQL. */
export interface StatusChange {
  to: FailedMessageStatus;
  retryBatch: boolean;
  eligible: { from: readonly FailedMessageStatus[]; parsedOnly: boolean };
  /** A group's eligible members taken by one change, first by id. */
  limit: number;
  /** A group's walk starts past this member id (the previous change's `next`). */
  after?: string;
}

/**
 * What the store does for a status change, in one transaction: lock the selected messages (ids:
 * all of them; a group: its first `limit` eligible members by id, the rest counted as skipped or
 * left), ask `plan` which of them change, then move those to `to` with an event each; with
 * `retryBatch`, record a retry batch of them and put their failed generations back to pending.
 */
export interface FailedMessageStatusChanges {
  changeStatus(
    change: StatusChange,
    selector: FailedMessageSelector,
    plan: (candidates: readonly StatusChangeCandidate[]) => StatusChangePlan,
    options: { requestedBy: string | null; metadata?: Record<string, unknown> },
  ): Promise<StoredStatusChange>;
}

/** A message an operation may move: in one of its source statuses, and never retrying one that never parsed. */
export const isEligible = (op: FailedMessageOperation, c: Omit<StatusChangeCandidate, 'id'>) =>
  OPERATION_FROM[op].includes(c.status) && !(op === 'retry' && c.invalid);

/** `isEligible` as data, for a store that selects a group's eligible members itself. */
export const eligibility = (op: FailedMessageOperation): StatusChange['eligible'] => ({
  from: OPERATION_FROM[op],
  parsedOnly: op === 'retry',
});

/**
 * Decides a change over the locked candidates. By ids: an id not found is not-found, an
 * ineligible one a conflict naming up to five, and nothing changes. By group: the eligible change,
 * the rest are skipped.
 */
export function planStatusChange(
  op: FailedMessageOperation,
  selector: FailedMessageSelector,
  candidates: readonly StatusChangeCandidate[],
): StatusChangePlan {
  if ('ids' in selector) {
    const found = new Set(candidates.map((c) => c.id));
    const missing = [...new Set(selector.ids)].filter((i) => !found.has(i));
    if (missing.length) throw notFound(`no failed message ${missing.slice(0, 5).join(', ')}`);
    const bad = candidates.filter((c) => !isEligible(op, c));
    if (bad.length) {
      const why = bad
        .slice(0, 5)
        .map((c) =>
          op === 'retry' && c.invalid
            ? `${c.id} never parsed and would fail again`
            : `${c.id} is ${c.status}`,
        )
        .join('; ');
      throw conflict(`cannot ${op}: ${why}${bad.length > 5 ? ` (and ${bad.length - 5} more)` : ''}`);
    }
  }
  const ids = candidates.filter((c) => isEligible(op, c)).map((c) => c.id);
  return { ids, skipped: candidates.length - ids.length };
}

/**
 * Archives, unarchives, resolves or retries failed messages. A group that does not exist is
 * not-found. One that exists with nothing left in it (its last members deleted by retention while
 * the operator looked at it) is a change of nothing: 0 changed, 0 skipped, no more, the same
 * answer as after another operator took its last members, and no reason for an error. A large one changes MAX_PER_OPERATION at a time (`more`), each run going on from
 * the previous one's `next` (`after`). A retry records a batch; sending it is `processRetryBatch`'s.
 */
export async function changeFailedMessageStatus(
  deps: { failedMessages: FailedMessageStatusChanges },
  op: FailedMessageOperation,
  selector: FailedMessageSelector,
  options: { requestedBy: string | null; metadata?: Record<string, unknown>; after?: string },
): Promise<StatusChangeOutcome> {
  const { after, ...recorded } = options;
  const { groupFound, ...outcome } = await deps.failedMessages.changeStatus(
    {
      to: OPERATION_TO[op],
      retryBatch: op === 'retry',
      eligible: eligibility(op),
      limit: MAX_PER_OPERATION,
      ...(after ? { after } : {}),
    },
    selector,
    (candidates) => planStatusChange(op, selector, candidates),
    recorded,
  );
  if ('groupId' in selector && !groupFound)
    throw notFound(
      `failure group ${selector.groupId} not found (a group goes when retention has deleted its last message)`,
    );
  return outcome;
}
