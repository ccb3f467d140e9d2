import type { GenerationPollMessage } from '../../contracts/queue-message.ts';
import { MAX_DELAY_SECONDS } from '../../ports/attempt-queue.ts';
import { type BackendAttemptDeps, type SettleResult, settleBackendOutcome } from './settle-outcome.ts';

/** The delay before poll `n + 1`: the backend's first delay, doubling, at most SQS's 15 minutes. */
export function nextPollDelay(firstDelayS: number, poll: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, firstDelayS) * 2 ** Math.min(poll, 20));
}

/**
 * A poll reminder: asks the backend where the attempt stands and settles it, or sends the next
 * reminder with a longer delay. A reminder for an attempt that has ended, or past its deadline
 * (maintenance closes those), is dropped. A backend that cannot be reached throws: SQS delivers
 * the reminder again.
 */
export async function pollAttempt(
  deps: BackendAttemptDeps,
  poll: GenerationPollMessage,
): Promise<SettleResult> {
  const ref = { generationId: poll.generationId, attempt: poll.attempt };
  const attempt = await deps.lifecycle.findAttempt(poll.generationId, poll.attempt);
  if (!attempt) return { settled: 'ignored', ...ref, reason: 'no such attempt' };
  if (!attempt.current || attempt.status !== 'running')
    return settleBackendOutcome(deps, attempt, { status: 'running' });
  const outcome = await deps.backend.poll({ ...ref, backendId: poll.backendId });
  if (outcome.status !== 'running') return settleBackendOutcome(deps, attempt, outcome);
  const now = deps.clock.now();
  if (attempt.deadlineAt && attempt.deadlineAt <= now)
    return { settled: 'ignored', ...ref, reason: 'past its deadline: maintenance closes it' };
  await deps.queue.sendLater(
    { ...poll, poll: poll.poll + 1 },
    nextPollDelay(deps.backend.pollAfterS ?? MAX_DELAY_SECONDS, poll.poll),
  );
  return { settled: 'running', ...ref };
}
