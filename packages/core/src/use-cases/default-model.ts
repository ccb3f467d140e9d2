import type { GenerationRequest } from '../contracts/generation.ts';

/** Reads the `generation.defaultModel` setting (the composition root decides how often). */
export type DefaultModel = () => Promise<string>;

/**
 * The request with the model a request that names none gets: the `generation.defaultModel`
 * setting's. `sent` is the request as it arrived, before the contract filled in its own default
 * (`GENERATION_DEFAULTS.model`), which stands when there is no setting to read.
 */
export async function withDefaultModel(
  request: GenerationRequest,
  sent: unknown,
  defaultModel: DefaultModel | undefined,
): Promise<GenerationRequest> {
  if (!defaultModel || namesModel(sent)) return request;
  return { ...request, model: await defaultModel() };
}

const namesModel = (sent: unknown) =>
  typeof sent !== 'object' || sent === null || (sent as { model?: unknown }).model !== undefined;
