import type { GenerationRecord } from '../contracts/generation.ts';
import { conflict } from '../errors.ts';
import type { GenerationRepository, NewGeneration } from '../ports/generation-repository.ts';

/**
 * Records a generation once. A repeat (same id, or same owner, idempotency key and request) gets
 * the original back; the same idempotency key with another request is a conflict, never a second
 * generation. Both the HTTP create and a queue producer's message come through here.
 */
export async function recordGeneration(
  generations: Pick<GenerationRepository, 'create'>,
  input: NewGeneration,
): Promise<{ generation: GenerationRecord; created: boolean }> {
  const outcome = await generations.create(input);
  if (outcome.created) return { generation: outcome.generation, created: true };
  const existing = outcome.existing;
  if (!existing) throw conflict('the generation could not be created; try again');
  if (
    input.idempotencyKey &&
    existing.generation.idempotencyKey === input.idempotencyKey &&
    existing.requestHash !== input.requestHash
  ) {
    throw conflict('this Idempotency-Key was already used with a different request body');
  }
  return { generation: existing.generation, created: false };
}
