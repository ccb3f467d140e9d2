import type { OutputSource } from '@genledger/core/contracts/outputs';
import type { BackendMetrics, BackendOutcome } from '@genledger/core/ports/backend';
import * as z from 'zod';

/**
 * A prediction object as Cog (https://github.com/replicate/cog/blob/main/docs/http.md, "Response
 * object") and Replicate (https://replicate.com/docs/reference/http#predictions.get) both return
 * it and post it to webhooks: `status` is starting | processing | succeeded | failed | canceled
 * (Replicate also `aborted`), `output` a URL or data URL, an array of them, or any JSON the model
 * returns, `error` a string, `metrics.predict_time` seconds.
 */
export const Prediction = z.looseObject({
  id: z.string().min(1).max(100).optional(),
  status: z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted']),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  metrics: z.looseObject({ predict_time: z.number().nonnegative().optional() }).nullish(),
});
export type Prediction = z.infer<typeof Prediction>;

const isOutputUrl = (v: unknown): v is string => typeof v === 'string' && /^(data:|https?:\/\/)/i.test(v);

/** The files of a prediction's output: every URL or data URL in it, in order, however nested. */
function outputSources(output: unknown): OutputSource[] {
  if (isOutputUrl(output)) return [{ kind: 'url', url: output }];
  if (Array.isArray(output)) return output.flatMap(outputSources);
  if (output && typeof output === 'object') return Object.values(output).flatMap(outputSources);
  return [];
}

const metricsOf = (p: Prediction): BackendMetrics =>
  p.metrics?.predict_time === undefined ? {} : { predictTimeS: p.metrics.predict_time };

/** Where a prediction stands, as genledger's outcome. A model's own failure is worth another attempt. */
export function predictionOutcome(p: Prediction): BackendOutcome {
  switch (p.status) {
    case 'starting':
    case 'processing':
      return { status: 'running' };
    case 'succeeded': {
      const outputs = outputSources(p.output);
      if (outputs.length === 0)
        return {
          status: 'failed',
          errorType: 'GeneratorBadReply',
          message: 'the prediction succeeded with no file in its output',
          transient: false,
          metrics: metricsOf(p),
        };
      return { status: 'succeeded', outputs, metrics: metricsOf(p) };
    }
    case 'failed':
      return {
        status: 'failed',
        errorType: 'GeneratorFailed',
        message: typeof p.error === 'string' && p.error ? p.error.slice(0, 2000) : 'the prediction failed',
        transient: true,
        metrics: metricsOf(p),
      };
    default:
      return { status: 'canceled' };
  }
}

/** The inputs most Cog/Replicate image models take, from genledger's request. */
export function predictionInput(request: {
  prompt: string;
  negativePrompt?: string | undefined;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  seed?: number | undefined;
}): Record<string, unknown> {
  return {
    prompt: request.prompt,
    ...(request.negativePrompt ? { negative_prompt: request.negativePrompt } : {}),
    width: request.width,
    height: request.height,
    num_inference_steps: request.steps,
    guidance_scale: request.guidance,
    ...(request.seed === undefined ? {} : { seed: request.seed }),
  };
}
