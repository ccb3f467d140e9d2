import type { GenerationRequest } from '../contracts/generation.ts';
import type { OutputSource } from '../contracts/outputs.ts';

export interface GenerationJob {
  generationId: string;
  attempt: number;
  request: GenerationRequest;
}

/** What a backend produced, in whatever form it hands it over; the worker keeps it (keepOutputs). */
export interface GenerationOutput {
  outputs: OutputSource[];
  /** The backend's own id for the job (ComfyUI's prompt_id, a prediction id), when it has one. */
  promptId?: string | null;
}

/** The backend that turns a request into an image or document. */
export interface Generator {
  readonly name: string;
  generate(job: GenerationJob): Promise<GenerationOutput>;
}

/**
 * Why an attempt failed, and whether trying again can help: transient (timeout, connection error,
 * 5xx) goes back to the queue for SQS to redeliver; permanent (4xx, invalid request) fails the
 * generation at once.
 */
export class GeneratorError extends Error {
  readonly transient: boolean;
  readonly errorType: string;

  constructor(errorType: string, message: string, options: { transient: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = errorType;
    this.errorType = errorType;
    this.transient = options.transient;
  }
}

/** Anything thrown that is not a GeneratorError counts as transient: a bug fixed by a deploy can retry. */
export const isPermanent = (e: unknown) => e instanceof GeneratorError && !e.transient;
