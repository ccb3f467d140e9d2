import {
  GENERATION_DEFAULTS,
  type GenerationRecord,
  GenerationRequest,
  type GenerationRequestBody,
} from '../contracts/generation.ts';
import { IdempotencyKey } from '../contracts/idempotency-key.ts';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../contracts/limits.ts';
import { fieldErrorsFromZod, validationError } from '../errors.ts';
import type { GenerationRepository } from '../ports/generation-repository.ts';
import type { Logger } from '../ports/logger.ts';
import type { Queue } from '../ports/queue.ts';
import { requestHash } from '../request-hash.ts';
import { type DefaultModel, withDefaultModel } from './default-model.ts';
import { recordGeneration } from './record-generation.ts';
import { sendGenerationMessage } from './send-generation-message.ts';

export interface SubmitGenerationDeps {
  generations: GenerationRepository;
  queue: Queue;
  logger: Logger;
  newId?: () => string;
  /** The model of a request that names none (the `generation.defaultModel` setting). */
  defaultModel?: DefaultModel;
}

export type SubmitGenerationInput = SubmitGenerationCommon &
  (
    | { body: unknown }
    /** Already validated against `GenerationRequestBody` (the API's route): not parsed again. */
    | { validBody: GenerationRequestBody }
  );

interface SubmitGenerationCommon {
  apiKeyId: string | null;
  idempotencyKey: string | null;
  metadata?: Record<string, unknown>;
}

export interface SubmitGenerationResult {
  generation: GenerationRecord;
  /** False when an Idempotency-Key replay returned the original. */
  created: boolean;
  /** False when the queue refused the message; the maintenance job re-sends it. */
  enqueued: boolean;
}

/**
 * Accepts a generation: validate, record it with its event (one statement), then send its message.
 * The record commits before the send, so a failed send loses nothing: the generation is marked
 * not-yet-enqueued and re-sent by maintenance. No outbox table is needed.
 */
export async function submitGeneration(
  deps: SubmitGenerationDeps,
  input: SubmitGenerationInput,
): Promise<SubmitGenerationResult> {
  const { request: asSent, sent } = validRequest(input);
  if (input.idempotencyKey !== null && !IdempotencyKey.safeParse(input.idempotencyKey).success) {
    throw validationError(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`, [
      {
        field: 'Idempotency-Key',
        message: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, no NUL or unpaired surrogates`,
      },
    ]);
  }
  const request = await withDefaultModel(asSent, sent, deps.defaultModel);
  const { generation, created } = await recordGeneration(deps.generations, {
    id: deps.newId ? deps.newId() : crypto.randomUUID(),
    request,
    apiKeyId: input.apiKeyId,
    idempotencyKey: input.idempotencyKey,
    // The request as sent: a replay of it is the same request whatever the setting says by then.
    requestHash: input.idempotencyKey ? requestHash(asSent) : null,
    source: 'http',
    enqueued: true,
    metadata: input.metadata,
  });
  if (!created) return { generation, created, enqueued: true };

  const enqueued = await sendGenerationMessage(deps, generation);
  return { generation, created, enqueued };
}

/** The request with the contract's defaults, and the body as sent (which says whether it named a model). */
function validRequest(input: SubmitGenerationInput): { request: GenerationRequest; sent: unknown } {
  if ('validBody' in input) {
    const sent = input.validBody;
    return { request: { ...sent, model: sent.model ?? GENERATION_DEFAULTS.model }, sent };
  }
  const parsed = GenerationRequest.safeParse(input.body);
  if (!parsed.success)
    throw validationError('the generation request is invalid', fieldErrorsFromZod(parsed.error.issues));
  return { request: parsed.data, sent: input.body };
}
