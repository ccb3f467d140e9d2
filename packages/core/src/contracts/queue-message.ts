import * as z from 'zod';
import { type GenerationRecord, GenerationRequest, requestOf } from './generation.ts';
import { IdempotencyKey } from './idempotency-key.ts';
import { MAX_MESSAGE_TYPE_LENGTH, MAX_PROMPT_ID_LENGTH } from './limits.ts';
import { text } from './storable.ts';

/** The message queue producers send (HTTP create path, other services, retries). */
export const GenerationRequestedMessage = z.strictObject({
  type: z.literal('generation.requested'),
  version: z.literal(1),
  generationId: z.uuid(),
  request: GenerationRequest,
  idempotencyKey: IdempotencyKey.optional(),
});
export type GenerationRequestedMessage = z.output<typeof GenerationRequestedMessage>;
export type GenerationRequestedMessageInput = z.input<typeof GenerationRequestedMessage>;

export const MESSAGE_TYPE = 'generation.requested';

/**
 * The worker's own reminder to ask an asynchronous backend where an attempt stands (ComfyUI, which
 * cannot call back; Replicate when no callback came). Sent with a delay on the generation queue, so
 * no Lambda sleeps between polls. A poll for an attempt that has ended is acknowledged and dropped.
 */
export const GenerationPollMessage = z.strictObject({
  type: z.literal('generation.poll'),
  version: z.literal(1),
  generationId: z.uuid(),
  attempt: z.int().min(1),
  backendId: text().min(1).max(MAX_PROMPT_ID_LENGTH),
  /** Polls sent so far for this attempt: the next delay doubles with it. */
  poll: z.int().min(1),
});
export type GenerationPollMessage = z.output<typeof GenerationPollMessage>;
export const POLL_MESSAGE_TYPE = 'generation.poll';

/** The message that asks for a recorded generation: every sender (create, re-sends) builds it here. */
export function generationRequested(g: GenerationRecord): GenerationRequestedMessageInput {
  return {
    type: MESSAGE_TYPE,
    version: 1,
    generationId: g.id,
    request: requestOf(g),
    ...(g.idempotencyKey ? { idempotencyKey: g.idempotencyKey } : {}),
  };
}

/** What can still be read from a body that is not a valid message: enough to record it against its generation. */
const namedGeneration = z.object({ generationId: z.uuid() });
const namedType = z.object({ type: text().max(MAX_MESSAGE_TYPE_LENGTH) });

export type ParsedQueueMessage =
  | { ok: true; message: GenerationRequestedMessage }
  | { ok: true; message: GenerationPollMessage }
  | { ok: false; reason: string; generationId: string | null; type: string | null };

/** Reads a queue body: a valid message, or why not with whatever generation id and type it names. */
export function parseQueueMessage(body: string): ParsedQueueMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the message body is not JSON', generationId: null, type: null };
  }
  const type = namedType.safeParse(json);
  const isPoll = type.success && type.data.type === POLL_MESSAGE_TYPE;
  const parsed = isPoll ? GenerationPollMessage.safeParse(json) : GenerationRequestedMessage.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data } as ParsedQueueMessage;
  const issue = parsed.error.issues[0]!;
  const generation = namedGeneration.safeParse(json);
  return {
    ok: false,
    reason: `invalid message: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    generationId: generation.success ? generation.data.generationId : null,
    type: type.success ? type.data.type : null,
  };
}
