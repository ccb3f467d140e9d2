import { type GenerationRecord, type GenerationStatus, isTerminal } from '../contracts/generation.ts';
import { conflict, notFound } from '../errors.ts';
import type { Generations } from '../ports/generations.ts';
import type { Owner } from '../ports/principal.ts';

/** Statuses a generation can be cancelled from: it has not reached an outcome yet. */
export const CANCELLABLE_STATUSES: readonly GenerationStatus[] = ['pending', 'running'];

export async function cancelGeneration(
  deps: {
    generations: Pick<Generations, 'cancel'>;
    /** Asks an asynchronous backend to stop the job of a generation cancelled while it ran (best effort). */
    stopAtBackend?: ((cancelled: GenerationRecord) => Promise<unknown>) | undefined;
  },
  input: { id: string; owner: Owner; metadata?: Record<string, unknown> },
): Promise<GenerationRecord> {
  const outcome = await deps.generations.cancel(
    input.id,
    input.owner,
    CANCELLABLE_STATUSES,
    input.metadata ?? {},
  );
  if (outcome.cancelled) {
    // The cancel is recorded first: whatever the backend answers, nothing it reports later counts.
    await deps.stopAtBackend?.(outcome.cancelled);
    return outcome.cancelled;
  }
  const current = outcome.current;
  if (!current) throw notFound(`generation ${input.id} not found`);
  if (isTerminal(current.status)) throw conflict(`generation ${input.id} is already ${current.status}`);
  // Cancellable when read, not when the update ran: another writer moved it in between.
  throw conflict(`generation ${input.id} changed while cancelling; try again`);
}
