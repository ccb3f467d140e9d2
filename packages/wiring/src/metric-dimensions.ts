import type { Settings } from '@genledger/core/ports/settings';
import { settingReader } from './setting-reader.ts';

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

/** A model's dimension, from the setting read at most once per TTL; a failed read counts it as other. */
export function modelDimensions(
  settings: Pick<Settings, 'get'>,
  options: { ttlMs?: number; now?: () => number } = {},
): (model: string | null | undefined) => Promise<ModelDimension> {
  const listed = settingReader(settings, 'metrics.models', options);
  let known: { listed: readonly string[]; models: ReadonlySet<string> } | undefined;
  const models = async () => {
    const current = await listed();
    if (known?.listed !== current) known = { listed: current, models: new Set(current) };
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
