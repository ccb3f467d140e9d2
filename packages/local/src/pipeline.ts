import { jsonLogger } from '@genledger/adapters/json-logger';
import { resolveWorkerConfig } from '@genledger/core/config/worker-config';
import type { CallbackTokens } from '@genledger/core/ports/callback-tokens';
import type { Generator } from '@genledger/core/ports/generator';
import type { Queue } from '@genledger/core/ports/queue';
import type { WebhookQueue } from '@genledger/core/ports/webhooks';
import type { ProcessMessageDeps } from '@genledger/core/use-cases/process-generation-message';
import {
  type MaintenanceStep,
  type MaintenanceSummary,
  runMaintenance,
} from '@genledger/core/use-cases/run-maintenance';
import type { Database } from '@genledger/db/connect';
import type { LocalQueueStore } from '@genledger/db/local-queue-store';
import { createDeadLetterHandler, deadLetterDeps } from '@genledger/wiring/dead-letter';
import { maintenanceDeps } from '@genledger/wiring/maintenance';
import { storesOf } from '@genledger/wiring/stores';
import { webhookDispatch } from '@genledger/wiring/webhook-api';
import { createWorkerHandler, workerDeps } from '@genledger/wiring/worker';
import { localAttemptQueue } from './local-attempt-queue.ts';
import { type BatchHandler, LocalConsumer, LocalQueue } from './local-queue.ts';
import { localQueuePort } from './local-queue-port.ts';
import { type LocalWebhookOptions, startLocalWebhooks } from './local-webhooks.ts';
import { resolveLocalQueueConfig } from './queue-config.ts';
import { resendUnqueued } from './resend-unqueued.ts';

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
  /** Where an asynchronous backend calls back: the local server, once it listens. */
  publicUrl?: () => string;
  /** The callback tokens the local server opens (its cursor secret may be random per process). */
  callbackTokens?: CallbackTokens;
  maintenanceSteps?: MaintenanceStep[];
  /** The webhook queue's redrive and the delivery handler's overrides (tests: a clock, a smaller count). */
  webhooks?: LocalWebhookOptions;
}

export interface LocalPipeline {
  /** The Queue port over the local queue: what the HTTP app sends to. */
  queue: Queue;
  main: LocalQueue;
  deadLetter: LocalQueue;
  /** The webhook queue and its dead-letter queue. */
  webhooks: LocalQueue;
  webhookDeadLetter: LocalQueue;
  runMaintenance(): Promise<MaintenanceSummary>;
  /** Start-up recovery finished: what was re-sent because no message would ever deliver it. */
  recovered: Promise<number>;
  /** Resolves when both queues are empty and nothing is being handled (tests, demos). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops the consumers; with a grace, the batch in hand is handed back to the queue after it. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * SQS, Lambda and the schedule on one machine: a local queue with a dead-letter queue, the very
 * worker handler Lambda runs consuming it, and the maintenance job on a timer.
 */
export function startLocalPipeline(options: LocalPipelineOptions): LocalPipeline {
  const env = options.env ?? process.env;
  const config = resolveLocalQueueConfig(env);
  const stores = storesOf(options.database);
  const maxReceiveCount = options.maxReceiveCount ?? config.maxReceiveCount;
  const { main, deadLetter } = localQueues(stores.localQueue, {
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? config.visibilityTimeoutMs,
    maxReceiveCount,
  });
  const queue = localQueuePort(main);
  const hooks = startLocalWebhooks(options.database, stores.localQueue, env, {
    visibilityTimeoutMs: config.webhookVisibilityTimeoutMs,
    ...options.webhooks,
    idlePollMs: options.database.embedded ? 60_000 : 1_000,
  });
  const consumers = startConsumers(options, env, {
    main,
    deadLetter,
    maxReceiveCount,
    afterBatch: webhookDispatch(options.database, hooks.binding, jsonLogger('warn', { fn: 'worker' })),
    webhookQueue: hooks.binding.queue,
  });
  consumers.all.push(...hooks.consumers);

  // What no stored message will deliver is sent again: at start (the embedded database is this
  // process's alone, so nothing is between its commit and its send) and on every maintenance run
  // (with a grace, as another process on a shared server may be).
  const staleAfterMs = options.workerOverrides?.staleAfterMs ?? resolveWorkerConfig(env).staleAfterMs;
  const resend = (changedBeforeMs: number) =>
    resendUnqueued(
      stores.localQueue,
      { main, deadLetter, port: queue, generations: stores.generations },
      { changedBeforeMs, staleAfterMs },
    );
  const recovered = resend(options.database.embedded ? 0 : UNQUEUED_GRACE_MS).catch(() => 0);
  for (const c of consumers.all) c.start();

  const maintenance = () =>
    runMaintenance(
      maintenanceDeps(options.maintenanceDatabase ?? options.database, {
        queue,
        env,
        webhookQueue: hooks.binding.queue,
        steps: [
          { name: 'local-queue-resend', run: async () => ({ resent: await resend(UNQUEUED_GRACE_MS) }) },
          ...(options.maintenanceSteps ?? []),
        ],
      }),
    );
  const schedule = every(options.maintenanceIntervalMs ?? config.maintenanceIntervalMs, maintenance);

  return {
    queue,
    main,
    deadLetter,
    webhooks: hooks.queue,
    webhookDeadLetter: hooks.deadLetter,
    recovered,
    runMaintenance: maintenance,
    async drain(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      await recovered;
      for (;;) {
        const mainLeft = await main.size();
        const dlqLeft = consumers.deadLetter ? await deadLetter.size() : 0;
        // Webhooks waiting out a backoff are not work in hand: only what is visible now counts.
        const hooksLeft = (await hooks.queue.stats()).visible + (await hooks.deadLetter.stats()).visible;
        if (mainLeft === 0 && dlqLeft === 0 && hooksLeft === 0 && consumers.all.every((c) => c.idle)) return;
        if (Date.now() > until) {
          throw new Error(
            `local queue not drained within ${timeoutMs} ms: ${JSON.stringify(await main.stats())}`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(stopOptions = {}) {
      schedule.cancel();
      await recovered;
      await Promise.all(consumers.all.map((c) => c.stop(stopOptions.graceMs ?? options.stopGraceMs)));
      await schedule.settled();
    },
  };
}

/** The main queue and its dead-letter queue, both kept in the database. */
function localQueues(
  store: LocalQueueStore,
  options: { visibilityTimeoutMs: number; maxReceiveCount: number },
) {
  const deadLetter = new LocalQueue({
    name: 'genledger-local-dlq',
    store,
    visibilityTimeoutMs: options.visibilityTimeoutMs,
  });
  const main = new LocalQueue({
    name: 'genledger-local',
    store,
    visibilityTimeoutMs: options.visibilityTimeoutMs,
    maxReceiveCount: options.maxReceiveCount,
    deadLetter,
  });
  return { main, deadLetter };
}

/** The worker Lambda's handler on the main queue, and the DLQ Lambda's (or the given one) on the dead-letter queue. */
function startConsumers(
  options: LocalPipelineOptions,
  env: NodeJS.ProcessEnv,
  queues: {
    main: LocalQueue;
    deadLetter: LocalQueue;
    maxReceiveCount: number;
    afterBatch: (generationIds: readonly string[]) => Promise<void>;
    webhookQueue: WebhookQueue;
  },
) {
  const worker = createWorkerHandler({
    afterBatch: queues.afterBatch,
    deps: async () =>
      workerDeps(
        options.database,
        env,
        { ...(options.generator ? { generator: options.generator } : {}), ...options.workerOverrides },
        undefined,
        {
          attemptQueue: localAttemptQueue(queues.main),
          ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
          ...(options.callbackTokens ? { callbackTokens: options.callbackTokens } : {}),
        },
      ),
  });
  // Every send to an embedded database is made in this process and wakes the consumer; polling
  // only finds what another process sent to a shared server.
  const consumerOptions = { idlePollMs: options.database.embedded ? 60_000 : 1_000 };
  const all = [new LocalConsumer(queues.main, worker, consumerOptions)];
  const deadLetter =
    options.deadLetterHandler === 'none'
      ? undefined
      : (options.deadLetterHandler ??
        createDeadLetterHandler({
          deps: async () => ({
            ...deadLetterDeps(options.database, env, undefined, queues.webhookQueue),
            maxReceiveCount: queues.maxReceiveCount,
          }),
        }));
  if (deadLetter) all.push(new LocalConsumer(queues.deadLetter, deadLetter, consumerOptions));
  return { all, deadLetter };
}

/** Runs `job` every `intervalMs`, never two at once; `settled` is the run in progress, if any. */
function every(intervalMs: number, job: () => Promise<unknown>) {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= job()
      .catch(() => {})
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    cancel: () => clearInterval(timer),
    settled: async () => {
      await running;
    },
  };
}

/** How long an unfinished generation without a message is left to the process that accepted it. */
const UNQUEUED_GRACE_MS = 10_000;
