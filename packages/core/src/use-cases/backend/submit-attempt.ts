import type { GenerationRecord } from '../../contracts/generation.ts';
import { requestOf } from '../../contracts/generation.ts';
import { MAX_DELAY_SECONDS, MAX_VISIBILITY_SECONDS } from '../../ports/attempt-queue.ts';
import { GeneratorError } from '../../ports/generator.ts';
import { callbackPath } from './callback-token.ts';
import { nextPollDelay } from './poll-attempt.ts';
import type { BackendAttemptDeps } from './settle-outcome.ts';

/** Past the deadline, the held delivery waits this much longer: maintenance closes the attempt first. */
export const DEADLINE_GRACE_S = 60;

export interface SubmitDeps extends BackendAttemptDeps {
  /**
   * The API's public URL (SST links it; PUBLIC_URL overrides): callbacks are posted under it. A
   * function: under `npm start` the server's port is known only once it listens.
   */
  publicUrl(): string;
}

export type SubmitResult =
  | { submitted: true; backendId: string; deadlineAt: Date }
  | { submitted: false; reason: string };

/**
 * Hands a started attempt to an asynchronous backend and returns: the attempt stays running until
 * a callback or a poll settles it, or its deadline passes. The delivery that started it is held in
 * flight until the deadline (plus a grace), so a job the backend swallowed is retried under SQS's
 * receive counting and dead-lettered like any other failure. Throws the backend's GeneratorError.
 */
export async function submitAttempt(
  deps: SubmitDeps,
  generation: GenerationRecord,
  attempt: number,
  receiptHandle: string | undefined,
): Promise<SubmitResult> {
  const generationId = generation.id;
  const { token, hash } = deps.callbackTokens.mint(generationId, attempt);
  const deadlineAt = new Date(deps.clock.now().getTime() + deps.backend.deadlineS * 1000);
  // Recorded before the backend is called: a fast backend may call back before submit returns.
  const owned = await deps.lifecycle.awaitBackend({
    generationId,
    attempt,
    callbackTokenHash: hash,
    deadlineAt,
    receiptHandle: receiptHandle ?? null,
  });
  if (!owned) return { submitted: false, reason: 'cancelled or taken over before submission' };
  const { backendId } = await deps.backend.submit({
    generationId,
    attempt,
    request: requestOf(generation),
    callbackUrl: new URL(callbackPath(token), deps.publicUrl()).toString(),
  });
  await deps.lifecycle.recordSubmission({ generationId, attempt, backendId });
  if (deps.backend.pollAfterS !== undefined) {
    await deps.queue.sendLater(
      { type: 'generation.poll', version: 1, generationId, attempt, backendId, poll: 1 },
      Math.min(MAX_DELAY_SECONDS, deps.backend.pollAfterS),
    );
  }
  if (receiptHandle)
    await deps.queue.hold(
      receiptHandle,
      Math.min(MAX_VISIBILITY_SECONDS, deps.backend.deadlineS + DEADLINE_GRACE_S),
    );
  deps.logger.info('generation submitted', {
    generationId,
    attempt,
    backendId,
    generator: deps.backend.name,
  });
  return { submitted: true, backendId, deadlineAt };
}

/** Backpressure (Cog's 409 when every slot is busy): try again later, never a failure of the request. */
export const isBackpressure = (e: unknown) => e instanceof GeneratorError && e.errorType === 'BackendBusy';

export { nextPollDelay };
