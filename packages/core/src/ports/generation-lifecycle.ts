import type { GenerationRecord } from '../contracts/generation.ts';
import type { KeptOutput } from '../contracts/outputs.ts';
import type { BackendMetrics } from './backend.ts';

export type StartOutcome =
  | { outcome: 'started'; generation: GenerationRecord; attempt: number }
  /** Nothing to do: already finished, or running under a live attempt elsewhere. */
  | { outcome: 'skipped'; status: GenerationRecord['status']; reason: string }
  | { outcome: 'missing' };

export interface StartInput {
  generationId: string;
  messageId: string;
  receiveCount: number;
  /** A running attempt older than this is taken over: its worker died or froze past the timeout. */
  staleAfterMs: number;
  metadata?: Record<string, unknown>;
}

export interface AttemptError {
  type: string;
  message: string;
  stack?: string | null;
}

export interface CompleteInput {
  generationId: string;
  attempt: number;
  model: string;
  /** What the attempt produced, already in the output store; stored with the completion. */
  outputs: KeptOutput[];
  promptId: string | null;
  durationMs: number;
  /** What an asynchronous backend reported with the outcome (kept on the run). */
  backendMetrics?: BackendMetrics;
  metadata?: Record<string, unknown>;
}

/** A backend's report of success on a callback with a v2 token, its outputs already kept. */
export interface CallbackCompletionInput {
  generationId: string;
  attempt: number;
  /** SHA-256 (hex) of the callback's token: it must be the attempt's current one. */
  tokenHash: string;
  /** The job the report names, when it names one: it must be the job the attempt submitted. */
  reportedBackendId: string | null;
  outputs: KeptOutput[];
  backendMetrics?: BackendMetrics;
  metadata?: Record<string, unknown>;
}

/** What `completeByCallback` found, and did only in the first case. */
export type CallbackCompletion =
  | { outcome: 'completed'; durationMs: number }
  /** No run of this attempt has this token: not found. */
  | { outcome: 'unknown' }
  /** The report names another job than the attempt submitted. */
  | { outcome: 'other-job' }
  /**
   * The attempt had ended (finished, cancelled or superseded). `recordedKeys`: the generation's
   * outputs when it completed at this very attempt (a repeated callback), else none.
   */
  | { outcome: 'ended'; recordedKeys: string[] };

/**
 * What a generation's record holds of one attempt's outputs, read after that attempt wrote objects
 * it may not get to record (`recordedOutputKeys`).
 */
export type RecordedOutputKeys =
  /** The generation is running at this attempt: it may still complete with what was written. */
  | { attempt: 'open' }
  /**
   * The attempt has ended, for good: `keys` are the generation's outputs when it completed at this
   * very attempt, else none (cancelled, failed, superseded, or the generation deleted).
   */
  | { attempt: 'ended'; keys: string[] };

/** A backend's report of failure (or cancel) on a callback with a v2 token. */
export interface CallbackFailureInput {
  generationId: string;
  attempt: number;
  /** SHA-256 (hex) of the callback's token: it must be the attempt's current one. */
  tokenHash: string;
  /** The job the report names, when it names one: it must be the job the attempt submitted. */
  reportedBackendId: string | null;
  error: AttemptError;
  /** As `failAttempt`'s: back to pending for the next attempt, or failed for good. */
  retriable: boolean;
  backendMetrics?: BackendMetrics;
  metadata?: Record<string, unknown>;
}

/** What `failByCallback` found, and did only in the first case. */
export type CallbackFailure =
  /** Recorded as `failAttempt` records it; `receiptHandle`: the delivery the attempt held, if any. */
  | { outcome: 'failed'; receiptHandle: string | null }
  | { outcome: 'unknown' }
  | { outcome: 'other-job' }
  /** The attempt had ended (finished, cancelled or superseded): nothing written. */
  | { outcome: 'ended' };

export interface FailAttemptInput {
  generationId: string;
  attempt: number;
  model: string;
  error: AttemptError;
  durationMs: number;
  retriable: boolean;
  backendMetrics?: BackendMetrics;
  metadata?: Record<string, unknown>;
}

/** An attempt handed to an asynchronous backend, before the backend is called. */
export interface AwaitBackendInput {
  generationId: string;
  attempt: number;
  /** SHA-256 (hex) of the attempt's callback token: the token itself is never stored. */
  callbackTokenHash: string;
  deadlineAt: Date;
  /** The delivery held in flight until the deadline (released early on a transient failure). */
  receiptHandle: string | null;
}

/** A running or ended attempt, as a callback or a poll finds it. */
export interface AwaitedAttempt {
  generationId: string;
  attempt: number;
  model: string;
  /** The run's status: only a `running` run may still take an outcome. */
  status: 'running' | 'completed' | 'failed';
  /** Whether this is still the generation's current attempt (not superseded, not cancelled). */
  current: boolean;
  backendId: string | null;
  receiptHandle: string | null;
  startedAt: Date;
  deadlineAt: Date | null;
}

export interface ExpiredAttempt {
  generationId: string;
  attempt: number;
  model: string;
  startedAt: Date;
}

/** The worker's state changes (implemented by `GenerationLifecycle` in @genledger/db). */
export interface GenerationLifecyclePort {
  start(input: StartInput): Promise<StartOutcome>;
  complete(input: CompleteInput): Promise<boolean>;
  /**
   * The callback's token check, the completion (as `complete`, model, prompt id and duration read
   * from the run) and its event in one statement; which case it was comes back with it.
   */
  completeByCallback(input: CallbackCompletionInput): Promise<CallbackCompletion>;
  failAttempt(input: FailAttemptInput): Promise<boolean>;
  /**
   * The callback's token check and `failAttempt` (model and duration read from the rows) in one
   * statement; which case it was comes back with it.
   */
  failByCallback(input: CallbackFailureInput): Promise<CallbackFailure>;
  /**
   * Whether the attempt can still complete and, once it cannot, the output keys its completion
   * recorded. Read only when an attempt wrote objects it did not record (docs/outputs.md#keys).
   */
  recordedOutputKeys(generationId: string, attempt: number): Promise<RecordedOutputKeys>;
  /** Marks the attempt as awaiting a backend: its deadline, callback token hash and held delivery. */
  awaitBackend(input: AwaitBackendInput): Promise<boolean>;
  /** Records the backend's job id once it accepted the job. */
  recordSubmission(input: { generationId: string; attempt: number; backendId: string }): Promise<void>;
  findByCallbackToken(tokenHash: string): Promise<AwaitedAttempt | undefined>;
  findAttempt(generationId: string, attempt: number): Promise<AwaitedAttempt | undefined>;
  /** Running attempts past their deadline, oldest first. */
  listExpired(now: Date, limit: number): Promise<ExpiredAttempt[]>;
  failInvalid(input: {
    generationId: string;
    reason: string;
    metadata?: Record<string, unknown>;
  }): Promise<boolean>;
}
