import type { Settings } from '@genledger/core/ports/settings';

/**
 * Metric dimensions from a bounded set only. Each distinct dimension value is a CloudWatch metric
 * of its own (billed per month) and lands in the metric's log line, so no value may come from a
 * request as it was sent: a model counts under its own name only when the `metrics.models`
 * setting lists it, and every other model, or none, counts as `other`.
 */
export type ModelDimension = string & { readonly dimension: 'model' };
const OTHER_MODEL = 'other' as ModelDimension;

export interface Dimensions {
  model?: ModelDimension;
  outcome?: 'completed' | 'failed';
  operation?: 'retry';
}

/** How long a container trusts the setting it read: an admin's change counts within this. */
const MODELS_TTL_MS = 60_000;

/** A model's dimension, from the setting read at most once per TTL; a failed read counts it as other. */
export function modelDimensions(
  settings: Pick<Settings, 'get'>,
  options: { ttlMs?: number; now?: () => number } = {},
): (model: string | null | undefined) => Promise<ModelDimension> {
  const ttlMs = options.ttlMs ?? MODELS_TTL_MS;
  const now = options.now ?? Date.now;
  let known: { models: ReadonlySet<string>; until: number } | undefined;
  const models = async () => {
    if (!known || now() >= known.until) {
      known = { models: new Set(await settings.get('metrics.models')), until: now() + ttlMs };
    }
    return known.models;
  };
  return async (model) => {
    if (!model) return OTHER_MODEL;
    try {
      return (await models()).has(model) ? (model as ModelDimension) : OTHER_MODEL;
    } catch {
      // A metric is never worth failing the work it counts.
      return OTHER_MODEL;
    }
  };
}
