import type { GenerationRecord } from '../../contracts/generation.ts';
import { safeMessage } from '../../error-summary.ts';
import type { BackendAttemptDeps } from './settle-outcome.ts';

/**
 * Asks the backend to stop the job of a generation's last attempt (Cog's cancel, ComfyUI's
 * interrupt or dequeue, Replicate's cancel). Best effort: the cancel is already recorded, so a
 * backend that cannot be reached only wastes its own time. True when the backend was asked.
 */
export async function stopAtBackend(
  deps: Pick<BackendAttemptDeps, 'backend' | 'lifecycle' | 'logger'>,
  generation: GenerationRecord,
): Promise<boolean> {
  if (generation.attempts < 1) return false;
  const attempt = await deps.lifecycle.findAttempt(generation.id, generation.attempts);
  if (!attempt?.backendId) return false;
  const job = { generationId: generation.id, attempt: attempt.attempt, backendId: attempt.backendId };
  try {
    await deps.backend.cancel(job);
    deps.logger.info('cancel sent to the backend', { ...job, generator: deps.backend.name });
    return true;
  } catch (e) {
    deps.logger.warn('the backend did not take the cancel', { ...job, error: safeMessage(e) });
    return false;
  }
}
