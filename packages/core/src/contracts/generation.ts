import * as z from 'zod';
import {
  MAX_GENERATION_NAME_LENGTH,
  MAX_IMAGE_SIDE,
  MAX_MODEL_LENGTH,
  MAX_PROMPT_LENGTH,
  MIN_IMAGE_SIDE,
} from './limits.ts';
import { KeptOutput } from './outputs.ts';
import { real, text } from './storable.ts';
import { WebhookUrl } from './webhooks.ts';

/** A request's own webhook events (Replicate's `webhook_events_filter`): `started` or a terminal one. */
export const GENERATION_WEBHOOK_FILTER = ['started', 'completed', 'failed', 'cancelled'] as const;
/** What `webhook` alone subscribes to: every terminal event. */
export const DEFAULT_WEBHOOK_FILTER = ['completed', 'failed', 'cancelled'] as const;

export const GENERATION_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
/** A processing attempt in the run journal. */
export const RUN_STATUSES = ['running', 'completed', 'failed'] as const;
export const GenerationStatus = z.enum(GENERATION_STATUSES);
export type GenerationStatus = z.infer<typeof GenerationStatus>;

/** The fields a generation list may be sorted by (`-` in front: descending). */
export const GENERATION_SORT_FIELDS = ['createdAt', 'completedAt', 'durationMs', 'name'] as const;
export type GenerationSortField = (typeof GENERATION_SORT_FIELDS)[number];
export const GENERATION_SORTS = GENERATION_SORT_FIELDS.flatMap((f) => [f, `-${f}`] as const);

export const TERMINAL_STATUSES: readonly GenerationStatus[] = ['completed', 'failed', 'cancelled'];

/** Limits and defaults come from the product's original SQL schema (see ARCHITECTURE "Data model"). */
export const GENERATION_DEFAULTS = {
  name: '',
  model: 'sdxl',
  width: 1024,
  height: 1024,
  steps: 20,
  guidance: 7.5,
} as const;

/** What a client asks for: every field but the prompt has a default. */
export const GenerationRequest = z.strictObject({
  prompt: text().min(1).max(MAX_PROMPT_LENGTH),
  negativePrompt: text().max(MAX_PROMPT_LENGTH).optional(),
  name: text().max(MAX_GENERATION_NAME_LENGTH).default(GENERATION_DEFAULTS.name),
  model: text().min(1).max(MAX_MODEL_LENGTH).default(GENERATION_DEFAULTS.model),
  width: z.int().min(MIN_IMAGE_SIDE).max(MAX_IMAGE_SIDE).default(GENERATION_DEFAULTS.width),
  height: z.int().min(MIN_IMAGE_SIDE).max(MAX_IMAGE_SIDE).default(GENERATION_DEFAULTS.height),
  steps: z.int().min(1).max(200).default(GENERATION_DEFAULTS.steps),
  guidance: real().min(0).max(50).default(GENERATION_DEFAULTS.guidance),
  seed: z.int().min(-2147483648).max(2147483647).optional(),
  /** An https URL told of this generation's events, signed with the key's default secret. */
  webhook: WebhookUrl.optional(),
  webhookEvents: z.array(z.enum(GENERATION_WEBHOOK_FILTER)).min(1).max(4).optional(),
});
/**
 * `POST /generations`'s body: a request whose model, when it names none, is the
 * `generation.defaultModel` setting's rather than the contract's own default (submit-generation).
 */
export const GenerationRequestBody = GenerationRequest.extend({
  model: text()
    .min(1)
    .max(MAX_MODEL_LENGTH)
    .optional()
    .describe('The model; when absent, the `generation.defaultModel` setting (sdxl unless changed)'),
});
/** A body `GenerationRequestBody` has validated: the request, its model absent when none was sent. */
export type GenerationRequestBody = z.output<typeof GenerationRequestBody>;
export type GenerationRequestInput = z.input<typeof GenerationRequest>;
export type GenerationRequest = z.output<typeof GenerationRequest>;

/** A generation as the API returns it. */
export const GenerationRecord = z.object({
  id: z.uuid(),
  name: z.string(),
  prompt: z.string(),
  negativePrompt: z.string().nullable(),
  model: z.string(),
  width: z.int(),
  height: z.int(),
  steps: z.int(),
  guidance: z.number(),
  seed: z.int().nullable(),
  status: GenerationStatus,
  idempotencyKey: z.string().nullable(),
  promptId: z.string().nullable(),
  /** Deprecated: the first output's store key (or, before outputs were kept, what a backend said). */
  outputPath: z.string().nullable(),
  /** Deprecated: null since outputs are kept (genledger makes no thumbnails). */
  thumbnailPath: z.string().nullable(),
  /** What the generation produced, as kept in the output store (the API signs links to them). */
  outputs: z.array(KeptOutput),
  errorMessage: z.string().nullable(),
  attempts: z.int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  completedAt: z.iso.datetime().nullable(),
  durationMs: z.int().nullable(),
  webhook: z.string().nullable(),
  webhookEvents: z.array(z.enum(GENERATION_WEBHOOK_FILTER)).nullable(),
});
export type GenerationRecord = z.infer<typeof GenerationRecord>;

/**
 * Legal status changes. Everything that moves a generation goes through `canTransition`, so an
 * illegal move (completing a cancelled generation) is refused by rule, not by luck.
 */
export const TRANSITIONS: Record<GenerationStatus, readonly GenerationStatus[]> = {
  pending: ['running', 'failed', 'cancelled'],
  // running → pending: an attempt failed transiently and the generation waits for SQS's redelivery.
  running: ['completed', 'failed', 'pending', 'cancelled'],
  completed: [],
  failed: ['pending'],
  cancelled: [],
};
export const canTransition = (from: GenerationStatus, to: GenerationStatus) => TRANSITIONS[from].includes(to);
export const isTerminal = (s: GenerationStatus) => TERMINAL_STATUSES.includes(s);

/** The request a generation was made from, as the worker and re-sends need it. */
export function requestOf(g: GenerationRecord): GenerationRequest {
  return {
    prompt: g.prompt,
    negativePrompt: g.negativePrompt ?? undefined,
    name: g.name,
    model: g.model,
    width: g.width,
    height: g.height,
    steps: g.steps,
    guidance: g.guidance,
    seed: g.seed ?? undefined,
    ...(g.webhook ? { webhook: g.webhook, webhookEvents: g.webhookEvents ?? undefined } : {}),
  };
}

/** The webhook columns of a request: the URL and its events as the delivery trigger matches them. */
export function webhookColumns(r: GenerationRequest): {
  webhookUrl: string | null;
  webhookEvents: string | null;
} {
  if (!r.webhook) return { webhookUrl: null, webhookEvents: null };
  const events = r.webhookEvents ?? DEFAULT_WEBHOOK_FILTER;
  return { webhookUrl: r.webhook, webhookEvents: JSON.stringify(events.map((e) => `generation.${e}`)) };
}
