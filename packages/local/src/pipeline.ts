import { resolveWorkerConfig } from '@genledger/core/config/worker-config';
import {
  GenerationRequestedMessage,
  generationRequested,
  MESSAGE_TYPE,
} from '@genledger/core/contracts/queue-message';
import { safeMessage } from '@genledger/core/error-summary';
import type { Generator } from '@genledger/core/ports/generator';
import type { Queue } from '@genledger/core/ports/queue';
import type { ProcessMessageDeps } from '@genledger/core/use-cases/process-generation-message';
import {
  type MaintenanceStep,
  type MaintenanceSummary,
  runMaintenance,
} from '@genledger/core/use-cases/run-maintenance';
import type { Database } from '@genledger/db/connect';
import type { GenerationStore } from '@genledger/db/generation-store';
import type { LocalQueueStore } from '@genledger/db/local-queue-store';
import { createDeadLetterHandler, deadLetterDeps } from '@genledger/wiring/dead-letter';
import { maintenanceDeps } from '@genledger/wiring/maintenance';
import { storesOf } from '@genledger/wiring/stores';
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
  /** How long a stopping pipeline lets the batch in hand finish before handing it back (default: no limit). */
  stopGraceMs?: number;
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
  /** Start-up recovery finished: what was re-sent because no message would ever deliver it. */
  recovered: Promise<number>;
  /** Resolves when both queues are empty and nothing is being handled (tests, demos). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops the consumers; with a grace, the batch in hand is handed back to the queue after it. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** The Queue port over a LocalQueue, with the attributes the SQS producer sets. */
export function localQueuePort(queue: LocalQueue): Queue {
  return {
    async send(messages) {
      const failed: { generationId: string; error: string }[] = [];
      for (const input of messages) {
        const m = GenerationRequestedMessage.parse(input);
        try {
          await queue.send(JSON.stringify(m), { type: MESSAGE_TYPE, generationId: m.generationId });
        } catch (e) {
          // As SQS reports a refused entry: the generation stays not-enqueued and maintenance re-sends it.
          // The error is logged by the caller: never the driver's message, which quotes the body.
          failed.push({ generationId: m.generationId, error: safeMessage(e) });
        }
      }
      return { failed };
    },
  };
}

/**
 * Unfinished generations that no stored message will ever deliver get one: the process stopped
 * between accepting one and sending it, or the work was queued before the queue was durable.
 */
export async function resendUnqueued(
  store: LocalQueueStore,
  queues: {
    main: LocalQueue;
    deadLetter: LocalQueue;
    port: Queue;
    generations: Pick<GenerationStore, 'markEnqueued'>;
  },
  options: { changedBeforeMs: number; staleAfterMs: number; limit?: number },
): Promise<number> {
  const now = Date.now();
  const unqueued = await store.findUnqueued({
    queues: [queues.main.name, queues.deadLetter.name],
    changedBefore: new Date(now - options.changedBeforeMs),
    staleBefore: new Date(now - options.staleAfterMs),
    limit: options.limit ?? 500,
  });
  if (unqueued.length === 0) return 0;
  const result = await queues.port.send(unqueued.map(generationRequested));
  const failed = new Set(result.failed.map((f) => f.generationId));
  const sent = unqueued.filter((g) => !failed.has(g.id)).map((g) => g.id);
  // Marked as sent, so the scheduled re-send of never-enqueued work does not send it a second time.
  await queues.generations.markEnqueued(sent);
  return sent.length;
}

/**
 * SQS, Lambda and the schedule on one machine: a local queue with a dead-letter queue, the very
 * worker handler Lambda runs consuming it, and the maintenance job on a timer.
 */
export function startLocalPipeline(options: LocalPipelineOptions): LocalPipeline {
  const env = options.env ?? process.env;
  const config = resolveLocalQueueConfig(env);
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? config.visibilityTimeoutMs;
  const stores = storesOf(options.database);
  const store = stores.localQueue;
  const deadLetter = new LocalQueue({ name: 'genledger-local-dlq', store, visibilityTimeoutMs });
  const main = new LocalQueue({
    name: 'genledger-local',
    store,
    visibilityTimeoutMs,
    maxReceiveCount: options.maxReceiveCount ?? config.maxReceiveCount,
    deadLetter,
  });
  const queue = localQueuePort(main);
  const maxReceiveCount = options.maxReceiveCount ?? config.maxReceiveCount;
  const worker = createWorkerHandler({
    deps: async () =>
      workerDeps(options.database, env, {
        ...(options.generator ? { generator: options.generator } : {}),
        ...options.workerOverrides,
      }),
  });
  // Every send to an embedded database is made in this process and wakes the consumer; polling
  // only finds what another process sent to a shared server.
  const consumerOptions = { idlePollMs: options.database.embedded ? 60_000 : 1_000 };
  const consumers = [new LocalConsumer(main, worker, consumerOptions)];
  const deadLetterHandler =
    options.deadLetterHandler === 'none'
      ? undefined
      : (options.deadLetterHandler ??
        createDeadLetterHandler({
          deps: async () => ({ ...deadLetterDeps(options.database, env), maxReceiveCount }),
        }));
  if (deadLetterHandler) consumers.push(new LocalConsumer(deadLetter, deadLetterHandler, consumerOptions));

  // What no stored message will deliver is sent again: at start (the embedded database is this
  // process's alone, so nothing is between its commit and its send) and on every maintenance run
  // (with a grace, as another process on a shared server may be).
  const staleAfterMs = options.workerOverrides?.staleAfterMs ?? resolveWorkerConfig(env).staleAfterMs;
  const resend = (changedBeforeMs: number) =>
    resendUnqueued(
      store,
      {
        main,
        deadLetter,
        port: queue,
        generations: stores.generations,
      },
      { changedBeforeMs, staleAfterMs },
    );
  const recovered = resend(options.database.embedded ? 0 : UNQUEUED_GRACE_MS).catch(() => 0);
  for (const c of consumers) c.start();

  const maintenance = () =>
    runMaintenance(
      maintenanceDeps(options.maintenanceDatabase ?? options.database, {
        queue,
        env,
        steps: [
          { name: 'local-queue-resend', run: async () => ({ resent: await resend(UNQUEUED_GRACE_MS) }) },
          ...(options.maintenanceSteps ?? []),
        ],
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
    recovered,
    runMaintenance: maintenance,
    async drain(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      await recovered;
      for (;;) {
        const mainLeft = await main.size();
        const dlqLeft = deadLetterHandler ? await deadLetter.size() : 0;
        if (mainLeft === 0 && dlqLeft === 0 && consumers.every((c) => c.idle)) return;
        if (Date.now() > until) {
          throw new Error(
            `local queue not drained within ${timeoutMs} ms: ${JSON.stringify(await main.stats())}`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(stopOptions = {}) {
      clearInterval(timer);
      await recovered;
      await Promise.all(consumers.map((c) => c.stop(stopOptions.graceMs ?? options.stopGraceMs)));
      await ticking;
    },
  };
}

/** How long an unfinished generation without a message is left to the process that accepted it. */
const UNQUEUED_GRACE_MS = 10_000;
