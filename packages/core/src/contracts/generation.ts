import { z } from 'zod';

export const GENERATION_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export const GenerationStatus = z.enum(GENERATION_STATUSES);
export type GenerationStatus = z.infer<typeof GenerationStatus>;

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
  prompt: z.string().min(1).max(4000),
  negativePrompt: z.string().max(4000).optional(),
  name: z.string().max(255).default(GENERATION_DEFAULTS.name),
  model: z.string().min(1).max(100).default(GENERATION_DEFAULTS.model),
  width: z.int().min(64).max(4096).default(GENERATION_DEFAULTS.width),
  height: z.int().min(64).max(4096).default(GENERATION_DEFAULTS.height),
  steps: z.int().min(1).max(200).default(GENERATION_DEFAULTS.steps),
  guidance: z.number().min(0).max(50).default(GENERATION_DEFAULTS.guidance),
  seed: z.int().min(-2147483648).max(2147483647).optional(),
});
export type GenerationRequestInput = z.input<typeof GenerationRequest>;
export type GenerationRequest = z.output<typeof GenerationRequest>;
