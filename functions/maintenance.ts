// Scheduled maintenance: re-send what never reached the queue, advance projections, and the
// further steps (retention, retry batches). Thin: build dependencies once, run the use case.
import { jsonLogger, logLevelFrom } from '@genledger/core/adapters/json-logger';
import { sqsQueue } from '@genledger/core/adapters/sqs-queue';
import { linkedEnvironment } from '@genledger/core/config/linked-resources';
import { systemClock } from '@genledger/core/ports/clock';
import type { Queue } from '@genledger/core/ports/queue';
import {
  type MaintenanceDeps,
  type MaintenanceStep,
  runMaintenance,
} from '@genledger/core/use-cases/run-maintenance';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationStore } from '@genledger/db/generation-store';
import { lambdaDatabase } from '@genledger/db/lambda-database';
import { ProjectionRunner } from '@genledger/db/projection-runner';
import { dailyGenerationStats } from '@genledger/db/projections/daily-generation-stats';

export function maintenanceDepsFromDatabase(
  database: Database,
  options: { queue: Queue | undefined; env?: NodeJS.ProcessEnv; steps?: MaintenanceStep[] },
): MaintenanceDeps {
  const events = new EventStore(database);
  const runner = new ProjectionRunner(database, events, { batchSize: 1000 });
  const stats = dailyGenerationStats(database.schema);
  return {
    generations: new GenerationStore(database, events),
    queue: options.queue,
    // Bounded per run so one tick never outlives the schedule; the next tick continues.
    projections: [{ name: stats.name, catchUp: () => runner.catchUp(stats, 50) }],
    steps: options.steps ?? [],
    logger: jsonLogger(logLevelFrom(options.env ?? process.env), { fn: 'maintenance' }),
    clock: systemClock,
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
