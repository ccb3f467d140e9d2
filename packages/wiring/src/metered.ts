// Metrics at the edges of the use cases, as decorators of their ports: the core stays unaware.
import type { Generator } from '@genledger/core/ports/generator';
import type { RetryBatchStore } from '@genledger/db/retry-batch-store';
import type { MetricsSink } from './emf-metrics.ts';
import type { ModelDimension } from './metric-dimensions.ts';

/** One line per generation attempt: count and duration by model (a listed one, or other) and outcome. */
export function meteredGenerator(
  generator: Generator,
  sink: MetricsSink,
  modelDimension: (model: string) => Promise<ModelDimension>,
): Generator {
  return {
    name: generator.name,
    async generate(job) {
      const began = performance.now();
      const model = modelDimension(job.request.model);
      const line = async (outcome: 'completed' | 'failed', errorType?: string) =>
        sink({
          dimensions: { model: await model, outcome },
          metrics: {
            Generations: { value: 1, unit: 'Count' },
            GenerationDuration: { value: Math.round(performance.now() - began), unit: 'Milliseconds' },
          },
          properties: {
            generationId: job.generationId,
            attempt: job.attempt,
            generator: generator.name,
            ...(errorType ? { errorType } : {}),
          },
        });
      try {
        const output = await generator.generate(job);
        await line('completed');
        return output;
      } catch (e) {
        await line('failed', e instanceof Error ? e.name : 'Error');
        throw e;
      }
    },
  };
}

type RetryBatches = Pick<RetryBatchStore, 'recordProgress' | 'complete'>;

/** One line per retry-batch step (messages re-sent, sends failed) and one when a batch completes. */
export function meteredRetryBatches<T extends RetryBatches>(store: T, sink: MetricsSink): T {
  return Object.assign(Object.create(store) as T, {
    async recordProgress(
      batchId: string,
      sentIds: readonly string[],
      failed: number,
      lastError: string | null,
    ) {
      await store.recordProgress(batchId, sentIds, failed, lastError);
      sink({
        dimensions: { operation: 'retry' },
        metrics: {
          RetryMessagesSent: { value: sentIds.length, unit: 'Count' },
          RetrySendFailures: { value: failed, unit: 'Count' },
        },
        properties: { retryBatchId: batchId },
      });
    },
    async complete(batchId: string) {
      await store.complete(batchId);
      sink({
        dimensions: { operation: 'retry' },
        metrics: { RetryBatchesCompleted: { value: 1, unit: 'Count' } },
        properties: { retryBatchId: batchId },
      });
    },
  });
}
