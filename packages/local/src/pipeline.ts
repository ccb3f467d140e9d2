import { GenerationRequestedMessage, MESSAGE_TYPE } from '@genledger/core/contracts/queue-message';
import type { Generator } from '@genledger/core/ports/generator';
import type { Queue } from '@genledger/core/ports/queue';
import type { ProcessMessageDeps } from '@genledger/core/use-cases/process-generation-message';
import {
  type MaintenanceStep,
  type MaintenanceSummary,
  runMaintenance,
} from '@genledger/core/use-cases/run-maintenance';
import type { Database } from '@genledger/db/connect';
import { createDeadLetterHandler, deadLetterDeps } from '@genledger/wiring/dead-letter';
import { maintenanceDeps } from '@genledger/wiring/maintenance';
import { createWorkerHandler, workerDeps } from '@genledger/wiring/worker';
import { type BatchHandler, LocalConsumer, LocalQueue } from './local-queue.ts';
import { resolveLocalQueueConfig } from './queue-config.ts';

export interface LocalPipelineOptions {
  /** The worker's and the dead-letter handler's database. */
  database: Database;
  /** The maintenance job's (a pool of its own under `npm start`); default: `database`. */
  maintenanceDatabase?: Database;
  env?: NodeJS.ProcessEnv;
  /** Replaces the generator chosen from GENERATOR_URL (tests use flaky or slow ones). */
  generator?: Generator;
  /** Overrides of QUEUE_VISIBILITY_TIMEOUT / QUEUE_MAX_RECEIVE_COUNT / MAINTENANCE_INTERVAL_S. */
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  maintenanceIntervalMs?: number;
  /** Receives dead-lettered records; default: the DLQ Lambda's handler over the same database. */
  deadLetterHandler?: BatchHandler | 'none';
  workerOverrides?: Partial<ProcessMessageDeps>;
  maintenanceSteps?: MaintenanceStep[];
}

export interface LocalPipeline {
  /** The Queue port over the local queue: what the HTTP app sends to. */
  queue: Queue;
  main: LocalQueue;
  deadLetter: LocalQueue;
  runMaintenance(): Promise<MaintenanceSummary>;
  /** Resolves when both queues are empty and nothing is being handled (tests, demos). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The Queue port over a LocalQueue, with the attributes the SQS producer sets. */
export function localQueuePort(queue: LocalQueue): Queue {
  return {
    async send(messages) {
      for (const input of messages) {
        const m = GenerationRequestedMessage.parse(input);
        queue.send(JSON.stringify(m), { type: MESSAGE_TYPE, generationId: m.generationId });
      }
      return { failed: [] };
    },
  };
}

/**
 * SQS, Lambda and the schedule on one machine: a local queue with a dead-letter queue, the very
 * worker handler Lambda runs consuming it, and the maintenance job on a timer.
 */
export function startLocalPipeline(options: LocalPipelineOptions): LocalPipeline {
  const env = options.env ?? process.env;
  const config = resolveLocalQueueConfig(env);
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? config.visibilityTimeoutMs;
  const deadLetter = new LocalQueue({ name: 'genledger-local-dlq', visibilityTimeoutMs });
  const main = new LocalQueue({
    name: 'genledger-local',
    visibilityTimeoutMs,
    maxReceiveCount: options.maxReceiveCount ?? config.maxReceiveCount,
    deadLetter,
  });
  const queue = localQueuePort(main);
  const worker = createWorkerHandler({
    deps: async () =>
      workerDeps(options.database, env, {
        // A redelivery comes after the visibility timeout; by then the earlier attempt is stale.
        staleAfterMs: visibilityTimeoutMs,
        ...(options.generator ? { generator: options.generator } : {}),
        ...options.workerOverrides,
      }),
  });
  const consumers = [new LocalConsumer(main, worker)];
  const deadLetterHandler =
    options.deadLetterHandler === 'none'
      ? undefined
      : (options.deadLetterHandler ??
        createDeadLetterHandler({ deps: async () => deadLetterDeps(options.database, env) }));
  if (deadLetterHandler) consumers.push(new LocalConsumer(deadLetter, deadLetterHandler));
  for (const c of consumers) c.start();

  const maintenance = () =>
    runMaintenance(
      maintenanceDeps(options.maintenanceDatabase ?? options.database, {
        queue,
        env,
        steps: options.maintenanceSteps,
      }),
    );
  let ticking: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    ticking ??= maintenance()
      .catch(() => {})
      .finally(() => {
        ticking = undefined;
      });
  }, options.maintenanceIntervalMs ?? config.maintenanceIntervalMs);
  timer.unref();

  return {
    queue,
    main,
    deadLetter,
    runMaintenance: maintenance,
    async drain(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const dlqPending = deadLetterHandler ? deadLetter.size : 0;
        if (main.size === 0 && dlqPending === 0 && consumers.every((c) => c.idle)) return;
        if (Date.now() > until) {
          throw new Error(`local queue not drained within ${timeoutMs} ms: ${JSON.stringify(main.stats())}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(consumers.map((c) => c.stop()));
      await ticking;
    },
  };
}
