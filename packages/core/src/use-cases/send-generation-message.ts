import type { GenerationRecord } from '../contracts/generation.ts';
import { generationRequested } from '../contracts/queue-message.ts';
import { errorFields } from '../error-summary.ts';
import type { Logger } from '../ports/logger.ts';
import type { Queue } from '../ports/queue.ts';

/**
 * Sends a recorded generation's message. The record committed first, so a refused or failed send
 * loses nothing: the generation is marked not-yet-enqueued and maintenance re-sends it. No outbox
 * table is needed. Returns whether the queue took the message.
 */
export async function sendGenerationMessage(
  deps: {
    queue: Queue;
    logger: Logger;
    generations: { markNotEnqueued(ids: readonly string[]): Promise<void> };
  },
  generation: GenerationRecord,
): Promise<boolean> {
  let enqueued = true;
  try {
    const result = await deps.queue.send([generationRequested(generation)]);
    enqueued = result.failed.length === 0;
    if (!enqueued)
      deps.logger.warn('queue refused the message', {
        generationId: generation.id,
        error: result.failed[0]?.error,
      });
  } catch (e) {
    enqueued = false;
    deps.logger.warn('queue send failed', {
      generationId: generation.id,
      ...errorFields(e),
    });
  }
  if (!enqueued) {
    await deps.generations.markNotEnqueued([generation.id]).catch((e: unknown) => {
      // Still safe: the stale-pending sweep re-sends it later.
      deps.logger.error('could not mark generation as not enqueued', {
        generationId: generation.id,
        ...errorFields(e),
      });
    });
  }
  return enqueued;
}
