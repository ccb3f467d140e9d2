import { jsonLogger } from '@genledger/adapters/json-logger';
import { resolveMaintenanceConfig } from '@genledger/core/config/maintenance-config';
import { parseEnv } from '@genledger/core/config/parse-env';
import { memo } from '@genledger/core/memo';
import { systemClock } from '@genledger/core/ports/clock';
import type { GenerationLifecyclePort } from '@genledger/core/ports/generation-lifecycle';
import { type Logger, logLevelFrom } from '@genledger/core/ports/logger';
import type { OutputStore } from '@genledger/core/ports/output-store';
import type { Queue } from '@genledger/core/ports/queue';
import type { WebhookQueue } from '@genledger/core/ports/webhooks';
import { closeExpiredAttempts } from '@genledger/core/use-cases/backend/close-expired-attempts';
import {
  continueRetryBatchesStep,
  retentionStep,
} from '@genledger/core/use-cases/failed-messages/maintenance-steps';
import { generationRetentionStep } from '@genledger/core/use-cases/generation-retention';
import {
  type MaintenanceDeps,
  type MaintenanceStep,
  type MaintenanceSummary,
  runMaintenance,
} from '@genledger/core/use-cases/run-maintenance';
import { sendWebhookDeliveries } from '@genledger/core/use-cases/send-webhook-deliveries';
import { webhookDeliveryRetentionStep } from '@genledger/core/use-cases/webhook-delivery-retention';
import type { Database } from '@genledger/db/connect';
import type { EventStore } from '@genledger/db/event-store';
import { ProjectionRunner } from '@genledger/db/projection-runner';
import { dailyGenerationStats } from '@genledger/db/projections/daily-generation-stats';
import * as z from 'zod';
import { emfSink, loggedMetrics, type MetricsSink } from './emf-metrics.ts';
import { containerDatabase } from './lambda-database.ts';
import { linkedEnvironment } from './linked-environment.ts';
import { meteredRetryBatches } from './metered.ts';
import { announcedRetryBatches, announcer } from './operational-webhooks.ts';
import { outputStoreOf } from './outputs.ts';
import { configuredQueue } from './queue-selection.ts';
import { storesOf } from './stores.ts';
import { configuredWebhookQueue } from './webhook-api.ts';

const MaintenanceEnv = z.object({
  /** Events older than this many days move to events_archive (heads too, since 0006; 0: off). */
  EVENT_ARCHIVE_AFTER_DAYS: z.coerce.number().int().min(0).max(36_500).default(30),
  /**
   * Statements of 10,000 events one maintenance run may spend on the archive: 10 keeps a run near
   * 1.7 s at 10M events and up with ≈ 1,600 events/s written; more drains a backlog faster.
   */
  EVENT_ARCHIVE_RUN_CHUNKS: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * Events one archive statement looks at (10,000: ≈ 0.17 s at 10M events). Smaller keeps each
   * statement's locks and WAL burst shorter on a slow database; larger drains faster per run.
   */
  EVENT_ARCHIVE_BATCH: z.coerce.number().int().min(100).max(100_000).default(10_000),
  /** A generation whose send failed is re-sent after this long (default 60 s; `npm run sim` tests use less). */
  MAINTENANCE_RESEND_AFTER_S: z.coerce.number().int().min(0).max(86_400).optional(),
});

/** Failed-message retention, and retry batches continued within `budgetMs`. */
export function recoverabilitySteps(
  database: Database,
  queue: Queue | undefined,
  budgetMs: number,
  metrics: MetricsSink,
  webhookQueue?: WebhookQueue,
  logger: Logger = jsonLogger('warn', { fn: 'maintenance' }),
): MaintenanceStep[] {
  const { settings, failedMessages: store, retryBatches } = storesOf(database);
  const steps = [
    retentionStep({
      retentionDays: () => settings.get('retention.failedMessageDays'),
      deleteExpired: (d) => store.deleteExpired(d),
    }),
  ];
  if (queue) {
    steps.push(
      continueRetryBatchesStep(async () => ({
        batches: announcedRetryBatches(
          meteredRetryBatches(retryBatches, metrics),
          announcer(database, webhookQueue, logger),
        ),
        queue,
        ...(webhookQueue ? { webhooks: webhookQueue } : {}),
        messagesPerSecond: await settings.get('retry.messagesPerSecond'),
        deadline: Date.now() + budgetMs,
      })),
    );
  }
  return steps;
}

/**
 * Webhook deliveries that never reached the queue (a failed send, a sender that died between its
 * commit and its send), older than `graceMs` so a live sender's are left to it.
 */
export function webhookResendStep(database: Database, queue: WebhookQueue, graceMs: number): MaintenanceStep {
  const deliveries = storesOf(database).webhookDeliveries;
  return {
    name: 'webhook-resend',
    run: async () => ({
      resent: await sendWebhookDeliveries(
        { deliveries, queue },
        { createdBefore: new Date(Date.now() - graceMs) },
      ),
    }),
  };
}

/**
 * Keeps `events` the size of the recent past (EventStore.archive): a run reads at most `chunks`
 * statements of 10,000 events, so one tick never outlives the schedule (10 of them: 1.69 s median
 * at 10M events, `npm run bench -- scale-archive`); the next tick continues.
 */
export function archiveStep(events: EventStore, days: number, chunks = 10, batch = 10_000): MaintenanceStep {
  return {
    name: 'event-archive',
    run: async () => ({
      days,
      ...(await events.archive({
        olderThan: new Date(Date.now() - days * 86_400_000),
        maxChunks: chunks,
        chunk: batch,
      })),
    }),
  };
}

/** Attempts at an asynchronous backend past their deadline, closed as transient failures. */
export function expiredAttemptsStep(lifecycle: GenerationLifecyclePort, logger: Logger): MaintenanceStep {
  return {
    name: 'expired-attempts',
    run: async () => closeExpiredAttempts({ lifecycle, clock: systemClock, logger }),
  };
}

export function maintenanceDeps(
  database: Database,
  options: {
    queue: Queue | undefined;
    env?: NodeJS.ProcessEnv;
    steps?: MaintenanceStep[];
    retryBudgetMs?: number;
    metrics?: MetricsSink;
    /** Where the retention sweep deletes outputs; default: the environment's store. */
    outputs?: OutputStore;
    /** Where unsent webhook deliveries and retried ones go; without it they wait. */
    webhookQueue?: WebhookQueue;
  },
): MaintenanceDeps {
  const stores = storesOf(database);
  const events = stores.events;
  const logger = jsonLogger(logLevelFrom(options.env ?? process.env), { fn: 'maintenance' });
  const runner = new ProjectionRunner(database, events, { batchSize: 1000 });
  const stats = dailyGenerationStats(database.schema);
  const env = parseEnv(MaintenanceEnv, options.env ?? process.env);
  return {
    generations: stores.generations,
    queue: options.queue,
    // Bounded per run so one tick never outlives the schedule; the next tick continues.
    projections: [{ name: stats.name, catchUp: () => runner.catchUp(stats, 50) }],
    steps: [
      expiredAttemptsStep(stores.lifecycle, logger),
      ...recoverabilitySteps(
        database,
        options.queue,
        options.retryBudgetMs ?? 30_000,
        options.metrics ?? loggedMetrics(logger),
        options.webhookQueue,
        logger,
      ),
      generationRetentionStep({
        retentionDays: () => stores.settings.get('retention.generationDays'),
        generations: stores.generations,
        outputs: options.outputs ?? outputStoreOf(options.env ?? process.env),
        now: () => new Date(),
      }),
      webhookDeliveryRetentionStep({
        retentionDays: () => stores.settings.get('retention.webhookDeliveryDays'),
        deleteFinished: (before, limit) => stores.webhookDeliveries.deleteFinished(before, limit),
        now: () => new Date(),
      }),
      ...(options.webhookQueue
        ? [webhookResendStep(database, options.webhookQueue, (env.MAINTENANCE_RESEND_AFTER_S ?? 60) * 1000)]
        : []),
      ...(env.EVENT_ARCHIVE_AFTER_DAYS > 0
        ? [
            archiveStep(
              events,
              env.EVENT_ARCHIVE_AFTER_DAYS,
              env.EVENT_ARCHIVE_RUN_CHUNKS,
              env.EVENT_ARCHIVE_BATCH,
            ),
          ]
        : []),
      ...(options.steps ?? []),
    ],
    logger,
    clock: systemClock,
    ...(env.MAINTENANCE_RESEND_AFTER_S !== undefined
      ? { notEnqueuedAfterMs: env.MAINTENANCE_RESEND_AFTER_S * 1000 }
      : {}),
    ...resolveMaintenanceConfig(options.env ?? process.env),
  };
}

/**
 * The scheduled run as deployed: the queue is the linked `Queue` (SST never sets QUEUE_URL
 * itself), so unsent generations are re-sent and interrupted retry batches resume.
 */
export function createMaintenanceHandler(
  options: { env?: () => NodeJS.ProcessEnv; database?: () => Promise<Database> } = {},
) {
  const deps = memo(async () => {
    const env = (options.env ?? (() => linkedEnvironment()))();
    return maintenanceDeps(await (options.database ?? containerDatabase)(), {
      queue: configuredQueue(env)?.queue,
      env,
      metrics: emfSink(),
      ...(configuredWebhookQueue(env) ? { webhookQueue: configuredWebhookQueue(env)!.queue } : {}),
    });
  });
  return async (): Promise<MaintenanceSummary> => runMaintenance(await deps());
}
