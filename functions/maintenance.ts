// Scheduled maintenance: re-send what never reached the queue, advance projections, and the
// further steps (retention, retry batches). Thin: build dependencies once, run the use case.
import { jsonLogger, logLevelFrom } from '@genledger/core/adapters/json-logger';
import { sqsQueue } from '@genledger/core/adapters/sqs-queue';
import { linkedEnvironment } from '@genledger/core/config/linked-resources';
import { resolveMaintenanceConfig } from '@genledger/core/config/maintenance-config';
import { systemClock } from '@genledger/core/ports/clock';
import type { Queue } from '@genledger/core/ports/queue';
import {
  continueRetryBatchesStep,
  retentionStep,
} from '@genledger/core/use-cases/failed-messages/maintenance-steps';
import {
  type MaintenanceDeps,
  type MaintenanceStep,
  runMaintenance,
} from '@genledger/core/use-cases/run-maintenance';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationStore } from '@genledger/db/generation-store';
import { lambdaDatabase } from '@genledger/db/lambda-database';
import { ProjectionRunner } from '@genledger/db/projection-runner';
import { dailyGenerationStats } from '@genledger/db/projections/daily-generation-stats';
import { RetryBatchStore } from '@genledger/db/retry-batch-store';
import { SettingsStore } from '@genledger/db/settings-store';

/** Failed-message retention, and retry batches continued within `budgetMs`. */
export function recoverabilitySteps(
  database: Database,
  queue: Queue | undefined,
  budgetMs: number,
): MaintenanceStep[] {
  const events = new EventStore(database);
  const settings = new SettingsStore(database, events);
  const store = new FailedMessageStore(database, events);
  const steps = [
    retentionStep({
      retentionDays: () => settings.get('retention.failedMessageDays'),
      deleteExpired: (d) => store.deleteExpired(d),
    }),
  ];
  if (queue) {
    steps.push(
      continueRetryBatchesStep(async () => ({
        batches: new RetryBatchStore(database),
        queue,
        messagesPerSecond: await settings.get('retry.messagesPerSecond'),
        deadline: Date.now() + budgetMs,
      })),
    );
  }
  return steps;
}

export function maintenanceDepsFromDatabase(
  database: Database,
  options: {
    queue: Queue | undefined;
    env?: NodeJS.ProcessEnv;
    steps?: MaintenanceStep[];
    retryBudgetMs?: number;
  },
): MaintenanceDeps {
  const events = new EventStore(database);
  const runner = new ProjectionRunner(database, events, { batchSize: 1000 });
  const stats = dailyGenerationStats(database.schema);
  return {
    generations: new GenerationStore(database, events),
    queue: options.queue,
    // Bounded per run so one tick never outlives the schedule; the next tick continues.
    projections: [{ name: stats.name, catchUp: () => runner.catchUp(stats, 50) }],
    steps: [
      ...recoverabilitySteps(database, options.queue, options.retryBudgetMs ?? 30_000),
      ...(options.steps ?? []),
    ],
    logger: jsonLogger(logLevelFrom(options.env ?? process.env), { fn: 'maintenance' }),
    clock: systemClock,
    ...resolveMaintenanceConfig(options.env ?? process.env),
  };
}

/** One database per container, reused while warm; linked SST resources become plain variables. */
const getDatabase = (): Promise<Database> => lambdaDatabase(linkedEnvironment());

export async function handler() {
  const env = process.env;
  const summary = await runMaintenance(
    maintenanceDepsFromDatabase(await getDatabase(), {
      queue: env.QUEUE_URL ? sqsQueue(env.QUEUE_URL) : undefined,
      env,
    }),
  );
  return summary;
}
