import type { GenerationRecord, GenerationRequest } from '../contracts/generation.ts';

export interface NewGeneration {
  id: string;
  request: GenerationRequest;
  apiKeyId: string | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  source: 'http' | 'queue';
  enqueued: boolean;
  metadata?: Record<string, unknown>;
}

/**
 * What an insert found: the new generation, or the one already there under the same id or the
 * same owner and idempotency key (with the hash of the request it was made from), or nothing when
 * the row that stopped the insert was gone by the time it was read.
 */
export type CreateOutcome =
  | { created: true; generation: GenerationRecord }
  | { created: false; existing: { generation: GenerationRecord; requestHash: string | null } | undefined };

/** What the submit path needs from storage (implemented by `GenerationStore` in @genledger/db). */
export interface GenerationRepository {
  create(input: NewGeneration): Promise<CreateOutcome>;
  markNotEnqueued(ids: readonly string[]): Promise<void>;
}
