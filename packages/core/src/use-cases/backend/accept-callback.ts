import { AppError, notFound } from '../../errors.ts';
import type { CallbackReport, IncomingCallback } from '../../ports/backend.ts';
import { discardUnrecordedOutputs } from '../discard-unrecorded-outputs.ts';
import { callbackTokenHash } from './callback-token.ts';
import {
  type BackendAttemptDeps,
  type BackendFailure,
  failureOf,
  failureRecorded,
  keepOrFail,
  type SettleResult,
  settleBackendOutcome,
} from './settle-outcome.ts';

const unknownToken = () => notFound('no attempt has this callback URL');
const otherJob = () =>
  new AppError('validation', 'the callback names another job than this attempt submitted');

/** What a one-statement settlement that settled nothing answers: 404, 400, or acknowledged and ignored. */
function notSettled(
  outcome: 'unknown' | 'other-job' | 'ended',
  ref: { generationId: string; attempt: number },
): SettleResult {
  if (outcome === 'unknown') throw unknownToken();
  if (outcome === 'other-job') throw otherJob();
  return { settled: 'ignored', ...ref, reason: 'the attempt has ended (finished, cancelled or superseded)' };
}

/**
 * A backend's callback on `/callbacks/{token}`. An unknown or forged token is not found and writes
 * nothing; a body whose signature does not verify (Replicate signs with Standard Webhooks) is
 * refused; a callback for an attempt that has ended is acknowledged and ignored, so the backend
 * stops repeating it. With a v2 token (its MAC verified here), a success copies the outputs under
 * the attempt's own keys and then settles in one statement, and a failure or cancel settles in one
 * statement; everything else finds the attempt first, then settles it
 * (docs/backends/README.md#callbacks-in-one-round-trip).
 */
export async function acceptCallback(
  deps: BackendAttemptDeps,
  token: string,
  callback: IncomingCallback,
): Promise<SettleResult> {
  const opened = deps.callbackTokens.open(token);
  if (opened.version === 'forged') throw unknownToken();
  const hash = callbackTokenHash(token);
  // Not verified under the current key (a legacy token, or one minted before the key rotated):
  // only its hash can prove it, and a forged one finds no run there, so nothing is fetched or written.
  if (opened.version !== 2) return acceptByLookup(deps, hash, callback);
  const report = await deps.backend.readCallback(callback);
  if (!report) throw new AppError('unauthorized', 'the callback signature does not verify');
  const { outcome } = report;
  // A running report writes nothing: the lookup that finds its attempt is its one round trip.
  if (outcome.status === 'running') return acceptByLookup(deps, hash, report);
  const ref = { generationId: opened.generationId, attempt: opened.attempt };
  const reported = { ...ref, tokenHash: hash, reportedBackendId: report.backendId ?? null };
  if (outcome.status !== 'succeeded') return failByCallback(deps, reported, failureOf(outcome));
  const keep = await keepOrFail(deps, ref, outcome, (failure) => failByCallback(deps, reported, failure));
  if ('settled' in keep) return keep.settled;
  const { kept, written } = keep;
  const done = await deps.lifecycle.completeByCallback({
    ...reported,
    outputs: kept,
    backendMetrics: outcome.metrics,
  });
  if (done.outcome === 'completed') {
    deps.logger.info('generation completed', {
      ...ref,
      durationMs: done.durationMs,
      generator: deps.backend.name,
    });
    return { settled: 'completed', ...ref };
  }
  // What was just written is no attempt's record, except the keys a repeat of the recorded bytes
  // wrote again (keys name their bytes: other bytes wrote other keys, deleted here). The statement
  // read the record when the attempt had ended; in the other cases it is read now.
  await discardUnrecordedOutputs(
    deps,
    ref,
    written,
    done.outcome === 'ended' ? done.recordedKeys : undefined,
  );
  return notSettled(done.outcome, ref);
}

/** A failure (or cancel) of a v2 token's attempt, settled in one statement as `failAttempt` would. */
async function failByCallback(
  deps: BackendAttemptDeps,
  reported: { generationId: string; attempt: number; tokenHash: string; reportedBackendId: string | null },
  failure: BackendFailure,
): Promise<SettleResult> {
  const ref = { generationId: reported.generationId, attempt: reported.attempt };
  const done = await deps.lifecycle.failByCallback({
    ...reported,
    error: { type: failure.errorType, message: failure.message },
    retriable: failure.transient,
    backendMetrics: failure.metrics,
  });
  if (done.outcome !== 'failed') return notSettled(done.outcome, ref);
  return failureRecorded(deps, ref, failure, done.receiptHandle);
}

/** The attempt found by its token's hash, then settled: tokens not verified here, and running reports. */
async function acceptByLookup(
  deps: BackendAttemptDeps,
  hash: string,
  callback: IncomingCallback | CallbackReport,
): Promise<SettleResult> {
  const attempt = await deps.lifecycle.findByCallbackToken(hash);
  if (!attempt) throw unknownToken();
  const report = 'outcome' in callback ? callback : await deps.backend.readCallback(callback);
  if (!report) throw new AppError('unauthorized', 'the callback signature does not verify');
  if (report.backendId !== undefined && attempt.backendId !== null && report.backendId !== attempt.backendId)
    throw otherJob();
  return settleBackendOutcome(deps, attempt, report.outcome);
}
