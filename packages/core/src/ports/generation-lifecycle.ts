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
  failAttempt(input: FailAttemptInput): Promise<boolean>;
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
