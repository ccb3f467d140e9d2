import { generationRequested } from '@genledger/core/contracts/queue-message';
import type { Queue } from '@genledger/core/ports/queue';
import type { GenerationStore } from '@genledger/db/generation-store';
import type { LocalQueueStore } from '@genledger/db/local-queue-store';
import type { LocalQueue } from './local-queue.ts';

/**
 * Unfinished generations that no stored message will ever deliver get one: the process stopped
 * between accepting one and sending it, or the work was queued before the queue was durable.
 */
export async function resendUnqueued(
  store: LocalQueueStore,
  queues: {
    main: LocalQueue;
    deadLetter: LocalQueue;
    port: Queue;
    generations: Pick<GenerationStore, 'markEnqueued'>;
  },
  options: { changedBeforeMs: number; staleAfterMs: number; limit?: number },
): Promise<number> {
  const now = Date.now();
  const unqueued = await store.findUnqueued({
    queues: [queues.main.name, queues.deadLetter.name],
    changedBefore: new Date(now - options.changedBeforeMs),
    staleBefore: new Date(now - options.staleAfterMs),
    limit: options.limit ?? 500,
  });
  if (unqueued.length === 0) return 0;
  const result = await queues.port.send(unqueued.map(generationRequested));
  const failed = new Set(result.failed.map((f) => f.generationId));
  const sent = unqueued.filter((g) => !failed.has(g.id)).map((g) => g.id);
  // Marked as sent, so the scheduled re-send of never-enqueued work does not send it a second time.
  await queues.generations.markEnqueued(sent);
  return sent.length;
}
