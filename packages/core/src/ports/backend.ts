import type { OutputSource } from '../contracts/outputs.ts';
import type { GenerationJob } from './generator.ts';
import type { BackendHealthReport } from './generator-health.ts';

/**
 * An asynchronous generator backend (a Cog container, a ComfyUI server, Replicate): the worker
 * submits a job and returns; the outcome arrives later on the callback URL, or by polling.
 * No Lambda waits for a GPU.
 */
export interface AsyncBackend {
  readonly kind: 'async';
  readonly name: string;
  /** An attempt with no outcome after this long counts as a transient failure (GENERATOR_DEADLINE_S). */
  readonly deadlineS: number;
  /** Seconds before the first poll, or undefined when the backend calls back (polling then is a fallback). */
  readonly pollAfterS: number | undefined;
  /**
   * Starts the job. Idempotent per attempt where the backend allows it (Cog's PUT by id). Throws a
   * transient `GeneratorError` for backpressure (`BackendBusy`), unreachable or 5xx, a permanent one
   * for a request the backend refuses.
   */
  submit(job: BackendJob): Promise<Submission>;
  /** The job's state now. */
  poll(job: SubmittedJob): Promise<BackendOutcome>;
  /** Asks the backend to stop the job; best effort (the generation is cancelled either way). */
  cancel(job: SubmittedJob): Promise<void>;
  /** Reads a callback the backend sent: undefined when its signature does not verify. */
  readCallback(callback: IncomingCallback): Promise<CallbackReport | undefined>;
  /** The backend's own report of its health, where it has one (Cog's `GET /health-check`). */
  health?(): Promise<BackendHealthReport>;
}

export interface BackendJob extends GenerationJob {
  /** Where the backend posts the outcome: an unguessable URL for this attempt only. */
  callbackUrl: string;
}

export interface Submission {
  /** The backend's id for the job (Cog's prediction id, ComfyUI's prompt_id, Replicate's id). */
  backendId: string;
}

export interface SubmittedJob {
  generationId: string;
  attempt: number;
  backendId: string;
}

export interface BackendMetrics {
  /** Seconds the model itself ran (Cog and Replicate `metrics.predict_time`). */
  predictTimeS?: number;
}

/** Where a job stands, by the backend's word. */
export type BackendOutcome =
  | { status: 'running' }
  | { status: 'succeeded'; outputs: OutputSource[]; metrics: BackendMetrics }
  /** `transient`: worth another attempt (the backend's own failure), else the request is at fault. */
  | { status: 'failed'; errorType: string; message: string; transient: boolean; metrics: BackendMetrics }
  | { status: 'canceled' };

/** A callback as the HTTP edge received it: the raw body, so a signature can be checked over its bytes. */
export interface IncomingCallback {
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
}

export interface CallbackReport {
  /** The backend's job id, when the body names it (checked against the attempt's). */
  backendId: string | undefined;
  outcome: BackendOutcome;
}
