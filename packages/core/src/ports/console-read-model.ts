import type { FailedMessageOperation, FailedMessageStatus } from '../contracts/failed-messages.ts';
import type { StoredEvent } from './event-reader.ts';
import type { GenerationFilter } from './generations.ts';
import type { AttemptOutcomeReads } from './generator-health.ts';
import type { Owner } from './principal.ts';
import type { WebhookConsoleReads } from './webhook-console-reads.ts';

/**
 * The operator console's reads that the JSON API has no route for: the signed-in key, counts for
 * the overview, the stats projection, sparklines, retry previews and receipts, the event log.
 * Read-only: every change the console makes goes through the same ports the JSON API uses.
 * Implemented in @genledger/db (read-models/).
 */
export interface ConsoleReadModel
  extends ConsoleKeyReads,
    OverviewReads,
    IncidentReads,
    FailedSelectionReads,
    RetryReceiptReads,
    EventLogReads,
    WebhookConsoleReads {}

/** Counts on the overview are exact up to here: an exact count of a status walks every row of it. */
export const COUNT_CAP = 10_000;

/** How many of the newest events the event log's filters search. */
export const EVENT_SEARCH_WINDOW = 100_000;

/** The key a console session belongs to, as the pages show it. */
export interface ConsoleKey {
  id: string;
  name: string;
  prefix: string;
  isAdmin: boolean;
}

/**
 * A count exact up to a cap; `more` when there are more rows than that, with the planner's
 * `estimate` of how many when its statistics have one above the cap.
 */
export interface CappedCount {
  n: number;
  more: boolean;
  estimate?: number;
}

/** One row of the daily stats projection: finished outcomes per UTC day, model and outcome. */
export interface DailyGenerationStat {
  day: string;
  model: string;
  status: string;
  count: number;
  averageDurationMs: number | null;
}

/**
 * Per UTC day and model: generations created that day by their status now (a generation that
 * failed and then succeeded on retry counts once, as completed), and the attempts that finished
 * that day with how many failed.
 */
export interface DailyModelOutcome {
  day: string;
  model: string;
  completed: number;
  failed: number;
  cancelled: number;
  /** Pending or running. */
  open: number;
  attempts: number;
  failedAttempts: number;
}

/** Failures of one model or group: in the last 15 minutes, and in the hour before. */
export interface FailureWindow {
  key: string;
  /** The group's title (for a group), the model's name (for a model). */
  title: string;
  last15: number;
  hourBefore: number;
}

/** Per model, over the last hour: queue wait and processing time of finished attempts. */
export interface ModelLatency {
  model: string;
  attempts: number;
  waitP50Ms: number | null;
  waitP95Ms: number | null;
  processingP50Ms: number | null;
  processingP95Ms: number | null;
}

/** What is wrong now: recent failures per model and per group against the hour before. */
export interface IncidentWindow {
  byModel: FailureWindow[];
  byGroup: FailureWindow[];
}

/** The failed messages list's filter as its form holds it. */
export interface FailedFilter {
  statuses: FailedMessageStatus[];
  groupId?: string;
  q?: string;
  /** Last failed on or after this UTC day, and on or before `to` (YYYY-MM-DD). */
  from?: string;
  to?: string;
}

/** Which failed messages an operation applies to: explicit ids, a group, or every match of a filter. */
export type Selection = { ids: string[] } | { groupId: string } | { filter: FailedFilter };

/** A message a retry would send, as the preview samples it. */
export interface RetrySample {
  id: string;
  model: string | null;
  lastFailedAt: string;
  errorType: string | null;
  errorMessage: string | null;
  attempts: number;
}

/** What a retry of a selection would do, before anything is sent. */
export interface RetryPreview {
  /** Messages the retry would send (at most one operation's worth for a group or a filter). */
  eligible: number;
  /** More eligible messages match than one retry takes: another run sends the rest. */
  more: boolean;
  /** Messages that never parsed: left out, they would fail again. */
  invalid: number;
  sample: RetrySample[];
  /** Dead-letterings of the selection in the last minutes asked for: the failure is still happening. */
  recentFailures: number;
  lastRecentFailure: string | null;
}

/** A failed message as an operator recognises it: by its prompt and model, not its id. */
export interface MessageLabel {
  id: string;
  status: FailedMessageStatus;
  /** The generation's prompt, when the message names a generation on record. */
  prompt: string | null;
  model: string | null;
  errorType: string | null;
}

/** A message a retry batch covered, with what became of it. */
export interface BatchMessage {
  id: string;
  prompt: string | null;
  model: string | null;
  lastErrorMessage: string | null;
  status: FailedMessageStatus;
  generationId: string | null;
  generationStatus: string | null;
  lastFailedAt: string;
  lastErrorType: string | null;
  /** Attempts recorded after the retry was issued: the message failed again. */
  failedAgain: boolean;
}

export interface ConsoleKeyReads {
  /** The session's key, when it is still usable (not revoked, not expired). */
  activeKey(id: string): Promise<ConsoleKey | undefined>;
  /** Every key's display name ("name (prefix)") by id, for "who" columns. */
  keyNames(): Promise<Map<string, string>>;
}

export interface OverviewReads extends AttemptOutcomeReads {
  /** Generations per status, each exact up to `cap` (default COUNT_CAP), the owner's only. */
  generationCounts(owner: Owner, cap?: number): Promise<Record<string, CappedCount>>;
  /** Failed messages per status, each exact up to `cap` (default COUNT_CAP). */
  failedCounts(cap?: number): Promise<Record<string, CappedCount>>;
  /** How many generations the owner's search matches (the generations list's total), exact up to `cap`. */
  countGenerations(owner: Owner, filter: GenerationFilter, cap?: number): Promise<CappedCount>;
}

export interface IncidentReads {
  /** Generations by final status and attempts per UTC day and model, from a UTC day (YYYY-MM-DD) on. */
  dailyOutcomes(fromDay: string): Promise<DailyModelOutcome[]>;
  /** Failures (attempts per model, dead-letterings per group) in the last 15 minutes and the hour before. */
  incidentWindow(): Promise<IncidentWindow>;
  /** Queue wait and processing time per model over the last hour, p50 and p95. */
  latency(): Promise<ModelLatency[]>;
}

export interface FailedSelectionReads {
  /** Dead-letterings per failure group and UTC day since `fromDay`: group id → day → count. */
  groupTrends(fromDay: string): Promise<Map<string, Map<string, number>>>;
  /** How many messages match the filter, exact up to `cap` (default one operation's limit). */
  countMatching(filter: FailedFilter, cap?: number): Promise<CappedCount>;
  /**
   * Ids of the selection an operation can act on, the first `cap` in id order; `more` when others
   * are left for another run. Chosen ids are taken whole.
   */
  eligibleIds(
    op: FailedMessageOperation,
    selection: Exclude<Selection, { groupId: string }>,
    cap?: number,
  ): Promise<{ ids: string[]; more: boolean }>;
  /** What a retry of the selection would do; "still failing" looks back `recentMinutes`. */
  retryPreview(selection: Selection, recentMinutes: number, cap?: number): Promise<RetryPreview>;
  /** Per group, a sample error: its newest failure's type and message. group id → "Type: message". */
  groupSamples(groupIds: string[]): Promise<Map<string, string>>;
  /** How the given messages are named on screen (prompt, model, status), at most 1,000. */
  messageLabels(ids: string[]): Promise<MessageLabel[]>;
  /** The failed message recorded for a generation, if any. */
  failedMessageOfGeneration(generationId: string): Promise<string | undefined>;
}

export interface RetryReceiptReads {
  /** Every message a retry batch covered, with what became of it (at most 1,000, in id order). */
  batchMessages(batchId: string, createdAt: string): Promise<BatchMessage[]>;
}

/** The event log's filter: an event type, and a stream id or its prefix. */
export interface EventLogFilter {
  type?: string;
  stream?: string;
  /** Only events older than this sequence, the archive included: paging back through history. */
  before?: number;
}

export interface EventLogReads {
  /**
   * The newest events, newest first, upcast like every read of the event store. A filter searches
   * the newest `window` events only (default EVENT_SEARCH_WINDOW).
   */
  recentEvents(filter: EventLogFilter, limit: number, window?: number): Promise<StoredEvent[]>;
}
