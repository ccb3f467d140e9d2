import * as z from 'zod';
import { GenerationRequest } from './generation.ts';
import { text } from './storable.ts';

/** The message queue producers send (HTTP create path, other services, retries). */
export const GenerationRequestedMessage = z.strictObject({
  type: z.literal('generation.requested'),
  version: z.literal(1),
  generationId: z.uuid(),
  request: GenerationRequest,
  idempotencyKey: text().min(1).max(255).optional(),
});
export type GenerationRequestedMessage = z.output<typeof GenerationRequestedMessage>;
export type GenerationRequestedMessageInput = z.input<typeof GenerationRequestedMessage>;

export const MESSAGE_TYPE = 'generation.requested';
