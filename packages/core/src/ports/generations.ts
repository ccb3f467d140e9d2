import type {
  GenerationRecord,
  GenerationSortField,
  GenerationStatus,
  RUN_STATUSES,
} from '../contracts/generation.ts';
import type { KeyGate } from './api-keys.ts';
import type { CreateOutcome, NewGeneration } from './generation-repository.ts';
import type { Owner, Principal } from './principal.ts';

/**
 * Generations as the HTTP edges use them. The `…As` forms take a key gate and check the key in
 * the same statement as the work; the principal comes back either way for the edge to judge
 * (rate limit, admin), and the work happened only when the key was admitted.
 */
export interface Generations {
  create(input: NewGeneration): Promise<CreateOutcome>;
  createAs(input: NewGeneration, gate: KeyGate): Promise<{ principal: Principal; created?: CreateOutcome }>;
  markNotEnqueued(ids: readonly string[]): Promise<void>;
  get(id: string, owner?: Owner): Promise<GenerationRecord | undefined>;
  getAs(id: string, gate: KeyGate): Promise<{ principal: Principal; generation?: GenerationRecord }>;
  /**
   * One statement that cancels the generation if the owner may see it and it is in one of `from`
   * (closing a running attempt, with its event), and otherwise reports what is there now, so the
   * cancel use case can say why not.
   */
  cancel(
    id: string,
    owner: Owner,
    from: readonly GenerationStatus[],
    metadata?: Record<string, unknown>,
  ): Promise<CancelOutcome>;
  /**
   * One statement that moves the generation back to pending if the owner may see it and it has
   * failed, with its GenerationRequeued event (marked enqueued: the caller sends its message
   * next), and otherwise reports what is there now, so the re-run use case can say why not.
   */
  requeue(id: string, owner: Owner, metadata?: Record<string, unknown>): Promise<RequeueOutcome>;
}

/** A re-run that was recorded, or what the generation is now (undefined: none the owner may see). */
export type RequeueOutcome =
  | { requeued: GenerationRecord }
  | { requeued: undefined; current: GenerationRecord | undefined };

/** A cancel that happened, or what the generation is now (undefined: none the owner may see). */
export type CancelOutcome =
  | { cancelled: GenerationRecord }
  | { cancelled: undefined; current: GenerationRecord | undefined };

export interface GenerationSort {
  field: GenerationSortField;
  descending: boolean;
}

/** Where the previous page stopped: the sort value as Postgres text (exact, microseconds kept) and the id. */
export interface GenerationKeyset {
  value: string | null;
  id: string;
}

export interface GenerationFilter {
  statuses?: readonly GenerationStatus[];
  model?: string;
  from?: Date;
  to?: Date;
  q?: string;
}

export interface GenerationPage {
  items: GenerationRecord[];
  /** Where the next page starts; undefined on the last page. */
  next: GenerationKeyset | undefined;
}

/** One attempt of the run journal. */
export interface GenerationRun {
  id: number;
  generationId: string;
  attempt: number;
  messageId: string | null;
  receiveCount: number | null;
  status: (typeof RUN_STATUSES)[number];
  startedAt: Date;
  completedAt: Date | null;
  durationMs: number | null;
  errorType: string | null;
  errorMessage: string | null;
  errorStack: string | null;
  /** At an asynchronous backend: its job id, the deadline, when it took the job and when it reported. */
  backendId: string | null;
  deadlineAt: Date | null;
  submittedAt: Date | null;
  reportedAt: Date | null;
  /** What the backend measured (`predictTimeS`: seconds the model ran). */
  backendMetrics: unknown;
}

/** The read side of generations, always scoped to the caller: another key's generation is "not found". */
export interface GenerationReads {
  list(
    owner: Owner,
    filter: GenerationFilter,
    sort: GenerationSort,
    limit: number,
    after?: GenerationKeyset,
  ): Promise<GenerationPage>;
  /** The run journal in attempt order; undefined when the caller may not see the generation. */
  runs(id: string, owner: Owner): Promise<GenerationRun[] | undefined>;
}
