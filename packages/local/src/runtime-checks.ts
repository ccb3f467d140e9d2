import type { HealthCheck } from '@genledger/core/ports/health';
import type { LocalPipeline } from './pipeline.ts';

/**
 * What the console's overview shows beside the database under `npm start`: where accepted work
 * goes, with the local queue's depth. The generator backend is judged by the console itself, from
 * the run journal (and the backend's own health endpoint where wiring has one), the same way
 * deployed: whether something listens at GENERATOR_URL says nothing about whether it generates.
 */
export function runtimeChecks(
  queueDescription: string,
  pipeline: LocalPipeline | undefined,
): () => Promise<Record<string, HealthCheck>> {
  return async () => {
    if (!pipeline)
      return { queue: { status: 'Healthy', detail: `${queueDescription} (configured; not probed)` } };
    const [main, dead] = await Promise.all([pipeline.main.stats(), pipeline.deadLetter.stats()]);
    return {
      queue: {
        status: 'Healthy',
        detail: `${queueDescription}: ${main.visible} waiting, ${main.inFlight} in flight, ${dead.total} in the dead-letter queue`,
      },
    };
  };
}
