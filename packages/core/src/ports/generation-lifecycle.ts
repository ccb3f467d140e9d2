import type { GenerationRecord } from '../contracts/generation.ts';
import type { KeptOutput } from '../contracts/outputs.ts';

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
  metadata?: Record<string, unknown>;
}

export interface FailAttemptInput {
  generationId: string;
  attempt: number;
  model: string;
  error: AttemptError;
  durationMs: number;
  retriable: boolean;
  metadata?: Record<string, unknown>;
}

/** The worker's state changes (implemented by `GenerationLifecycle` in @genledger/db). */
export interface GenerationLifecyclePort {
  start(input: StartInput): Promise<StartOutcome>;
  complete(input: CompleteInput): Promise<boolean>;
  failAttempt(input: FailAttemptInput): Promise<boolean>;
  failInvalid(input: {
    generationId: string;
    reason: string;
    metadata?: Record<string, unknown>;
  }): Promise<boolean>;
}
