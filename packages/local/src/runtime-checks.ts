import { resolveWorkerConfig } from '@genledger/core/config/worker-config';
import type { HealthCheck } from '@genledger/core/ports/health';
import type { LocalPipeline } from './pipeline.ts';

/** How long the console's overview waits for the generator backend to answer at all. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * What the console's overview shows beside the database: where accepted work goes (with the
 * local queue's depth) and whether the generator backend answers. Any HTTP answer counts as
 * reachable: the probe asks whether something listens, not whether it would accept a job.
 */
export function runtimeChecks(
  env: NodeJS.ProcessEnv,
  queueDescription: string,
  pipeline: LocalPipeline | undefined,
): () => Promise<Record<string, HealthCheck>> {
  const { generatorUrl } = resolveWorkerConfig(env);
  return async () => {
    const queue: HealthCheck = pipeline
      ? await (async () => {
          const [main, dead] = await Promise.all([pipeline.main.stats(), pipeline.deadLetter.stats()]);
          return {
            status: 'Healthy',
            detail: `${queueDescription}: ${main.visible} waiting, ${main.inFlight} in flight, ${dead.total} in the dead-letter queue`,
          };
        })()
      : { status: 'Healthy', detail: `${queueDescription} (configured; not probed)` };
    if (!generatorUrl) {
      return {
        queue,
        generator: { status: 'Healthy', detail: 'builtin generator (renders PNGs in this process)' },
      };
    }
    const started = Date.now();
    let generator: HealthCheck;
    try {
      const res = await fetch(generatorUrl, {
        method: 'HEAD',
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      generator = {
        status: 'Healthy',
        detail: `${new URL(generatorUrl).host} answered ${res.status}`,
        durationMs: Date.now() - started,
      };
    } catch (e) {
      generator = {
        status: 'Unhealthy',
        detail: `${new URL(generatorUrl).host} unreachable: ${e instanceof Error ? e.message : String(e)}`,
        durationMs: Date.now() - started,
      };
    }
    return { queue, generator };
  };
}
