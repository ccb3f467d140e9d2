import type { GenerationRecord } from '../contracts/generation.ts';
import { conflict, notFound } from '../errors.ts';
import type { Generations } from '../ports/generations.ts';
import type { Logger } from '../ports/logger.ts';
import type { Owner } from '../ports/principal.ts';
import type { Queue } from '../ports/queue.ts';
import { sendGenerationMessage } from './send-generation-message.ts';

/**
 * Re-runs a failed generation (a permanent failure such as GeneratorRejected, or any other) as a
 * new attempt: failed → pending with its GenerationRequeued event and the metadata of who asked,
 * then its message again. The earlier attempts stay in the run journal; the worker numbers the
 * next one after them. Anything not failed is refused (a conflict): a pending or running one is
 * already on its way, a completed or cancelled one is final.
 */
export async function rerunGeneration(
  deps: { generations: Pick<Generations, 'requeue' | 'markNotEnqueued'>; queue: Queue; logger: Logger },
  input: { id: string; owner: Owner; metadata?: Record<string, unknown> },
): Promise<{ generation: GenerationRecord; enqueued: boolean }> {
  const outcome = await deps.generations.requeue(input.id, input.owner, input.metadata ?? {});
  if (outcome.requeued) {
    const enqueued = await sendGenerationMessage(deps, outcome.requeued);
    return { generation: outcome.requeued, enqueued };
  }
  const current = outcome.current;
  if (!current) throw notFound(`generation ${input.id} not found`);
  if (current.status !== 'failed')
    throw conflict(`generation ${input.id} is ${current.status}: only a failed generation can be re-run`);
  // Failed when read, not when the update ran: another writer moved it in between.
  throw conflict(`generation ${input.id} changed while re-running; try again`);
}
