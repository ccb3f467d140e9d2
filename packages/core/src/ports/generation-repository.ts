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

/** What the submit path needs from storage (implemented by `GenerationStore` in @genledger/db). */
export interface GenerationRepository {
  create(input: NewGeneration): Promise<{ generation: GenerationRecord; created: boolean }>;
  markNotEnqueued(ids: readonly string[]): Promise<void>;
}
