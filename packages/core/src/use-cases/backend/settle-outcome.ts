import type { KeptOutput, OutputSource } from '../../contracts/outputs.ts';
import type { AttemptQueue } from '../../ports/attempt-queue.ts';
import type { AsyncBackend, BackendMetrics, BackendOutcome } from '../../ports/backend.ts';
import type { CallbackTokens } from '../../ports/callback-tokens.ts';
import type { Clock } from '../../ports/clock.ts';
import type { AwaitedAttempt, GenerationLifecyclePort } from '../../ports/generation-lifecycle.ts';
import { GeneratorError } from '../../ports/generator.ts';
import type { Logger } from '../../ports/logger.ts';
import { discardUnrecordedOutputs } from '../discard-unrecorded-outputs.ts';

/** What the asynchronous side of the pipeline runs on, in the worker and behind the callback route alike. */
export interface BackendAttemptDeps {
  backend: AsyncBackend;
  lifecycle: GenerationLifecyclePort;
  queue: AttemptQueue;
  /**
   * Copies an attempt's outputs into the output store (keepOutputs over the configured store),
   * pushing each key it writes to `written`.
   */
  keepOutputs(
    generationId: string,
    attempt: number,
    sources: readonly OutputSource[],
    written?: string[],
  ): Promise<KeptOutput[]>;
  /** Removes outputs an attempt wrote and did not record (discardUnrecordedOutputs). */
  deleteOutputs(keys: readonly string[]): Promise<void>;
  /** Mints the worker's callback tokens and opens the callback route's (signed with the deployment's key). */
  callbackTokens: CallbackTokens;
  clock: Clock;
  logger: Logger;
}

export type SettleResult =
  | { settled: 'completed' | 'failed' | 'retrying'; generationId: string; attempt: number }
  | { settled: 'running'; generationId: string; attempt: number }
  /** Nothing written: the attempt was cancelled, superseded or already has its outcome. */
  | { settled: 'ignored'; generationId: string; attempt: number; reason: string };

/**
 * Records what a backend reported for an attempt, whichever way it arrived (callback or poll).
 * Every write is guarded by the attempt still being current and running, so a repeated, late or
 * racing report changes nothing twice: one completion, one event. A transient failure to fetch
 * the outputs throws, for the backend to call back again (or the next poll).
 */
export async function settleBackendOutcome(
  deps: BackendAttemptDeps,
  attempt: AwaitedAttempt,
  outcome: BackendOutcome,
): Promise<SettleResult> {
  const ref = { generationId: attempt.generationId, attempt: attempt.attempt };
  if (!attempt.current || attempt.status !== 'running')
    return {
      settled: 'ignored',
      ...ref,
      reason: 'the attempt has ended (finished, cancelled or superseded)',
    };
  if (outcome.status === 'running') return { settled: 'running', ...ref };
  const durationMs = Math.max(0, deps.clock.now().getTime() - attempt.startedAt.getTime());
  if (outcome.status === 'succeeded') return complete(deps, attempt, outcome, durationMs);
  return fail(deps, attempt, failureOf(outcome), durationMs);
}

/** A backend's failure, however it reported it. */
export interface BackendFailure {
  errorType: string;
  message: string;
  transient: boolean;
  metrics: BackendMetrics;
}

/** How a failed or cancelled job is recorded: a cancel the backend made is retried. */
export const failureOf = (
  outcome: Extract<BackendOutcome, { status: 'failed' | 'canceled' }>,
): BackendFailure =>
  outcome.status === 'canceled'
    ? { errorType: 'BackendCanceled', message: 'the backend cancelled the job', transient: true, metrics: {} }
    : outcome;

async function complete(
  deps: BackendAttemptDeps,
  attempt: AwaitedAttempt,
  outcome: Extract<BackendOutcome, { status: 'succeeded' }>,
  durationMs: number,
): Promise<SettleResult> {
  const ref = { generationId: attempt.generationId, attempt: attempt.attempt };
  const keep = await keepOrFail(deps, ref, outcome, (failure) => fail(deps, attempt, failure, durationMs));
  if ('settled' in keep) return keep.settled;
  const { kept, written } = keep;
  const done = await deps.lifecycle.complete({
    ...ref,
    model: attempt.model,
    outputs: kept,
    promptId: attempt.backendId,
    durationMs,
    backendMetrics: outcome.metrics,
  });
  if (!done) {
    await discardUnrecordedOutputs(deps, ref, written);
    return { settled: 'ignored', ...ref, reason: 'the attempt ended while its outputs were kept' };
  }
  deps.logger.info('generation completed', { ...ref, durationMs, generator: deps.backend.name });
  return { settled: 'completed', ...ref };
}

/**
 * Keeps a succeeded attempt's outputs, or settles it when they can never be kept. An output of a
 * type or size genledger never keeps fails the attempt for good (`fail`); a fetch that failed is
 * retried by the backend's next report or the next poll (thrown). Either way, what the keep put
 * before it failed goes once the attempt has ended, unless it is what the attempt recorded (a
 * repeat of the recorded bytes). `written`: every key the keep put, for the caller's own cleanup.
 */
export async function keepOrFail(
  deps: BackendAttemptDeps,
  ref: { generationId: string; attempt: number },
  outcome: Extract<BackendOutcome, { status: 'succeeded' }>,
  fail: (failure: BackendFailure) => Promise<SettleResult>,
): Promise<{ kept: KeptOutput[]; written: string[] } | { settled: SettleResult }> {
  const written: string[] = [];
  try {
    return { kept: await deps.keepOutputs(ref.generationId, ref.attempt, outcome.outputs, written), written };
  } catch (e) {
    if (!(e instanceof GeneratorError) || e.transient) {
      await discardUnrecordedOutputs(deps, ref, written);
      throw e;
    }
    const failure = {
      errorType: e.errorType,
      message: e.message,
      transient: false,
      metrics: outcome.metrics,
    };
    try {
      return { settled: await fail(failure) };
    } finally {
      await discardUnrecordedOutputs(deps, ref, written);
    }
  }
}

async function fail(
  deps: BackendAttemptDeps,
  attempt: AwaitedAttempt,
  failure: BackendFailure,
  durationMs: number,
): Promise<SettleResult> {
  const ref = { generationId: attempt.generationId, attempt: attempt.attempt };
  const recorded = await deps.lifecycle.failAttempt({
    ...ref,
    model: attempt.model,
    error: { type: failure.errorType, message: failure.message },
    durationMs,
    retriable: failure.transient,
    backendMetrics: failure.metrics,
  });
  if (!recorded) return { settled: 'ignored', ...ref, reason: 'the attempt ended meanwhile' };
  return failureRecorded(deps, ref, failure, attempt.receiptHandle);
}

/** After a failure was recorded, on either path: logged, and a retry's held delivery released. */
export async function failureRecorded(
  deps: BackendAttemptDeps,
  ref: { generationId: string; attempt: number },
  failure: BackendFailure,
  receiptHandle: string | null,
): Promise<SettleResult> {
  deps.logger.warn('generation attempt failed', {
    ...ref,
    retriable: failure.transient,
    errorType: failure.errorType,
    generator: deps.backend.name,
  });
  if (!failure.transient) return { settled: 'failed', ...ref };
  // The delivery held until the deadline comes back now: the next attempt need not wait it out.
  if (receiptHandle)
    await deps.queue.release(receiptHandle).catch((e: unknown) =>
      deps.logger.warn('could not release the held delivery; it returns at the deadline', {
        ...ref,
        error: e instanceof Error ? e.message : String(e),
      }),
    );
  return { settled: 'retrying', ...ref };
}
