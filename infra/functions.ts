import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend } from './backends';
import type { database } from './database';
import type { outputs } from './outputs';
import type { queues } from './queues';
import {
  DEAD_LETTER_TIMEOUT_S,
  deploySettings,
  functionDefaults,
  MAX_RECEIVE_COUNT,
  WEBHOOK_MAX_RECEIVE_COUNT,
  WEBHOOK_TIMEOUT_S,
  WORKER_TIMEOUT_S,
  workerBatchWindowS,
  workerMaxConcurrency,
} from './settings';

/** A hash of migrations/: it changes, and so re-runs the migrator, exactly when a migration did. */
function migrationsHash(dir = 'migrations'): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir, { recursive: true }).map(String).sort()) {
    if (file.endsWith('.sql') || file.endsWith('.json'))
      hash.update(file).update(readFileSync(join(dir, file)));
  }
  return hash.digest('hex');
}

/**
 * API Gateway → API Lambda, SQS (+ DLQ) → worker and dead-letter Lambdas, a scheduled maintenance
 * Lambda, and a migration Lambda invoked by every deploy whose migrations changed. The outputs
 * bucket is linked to the three that touch outputs: the worker writes, the API signs links,
 * maintenance deletes.
 */
export function functions(
  db: ReturnType<typeof database>,
  { queue, deadLetterQueue, webhookQueue, webhookDeadLetterQueue }: ReturnType<typeof queues>,
  bucket: ReturnType<typeof outputs>,
) {
  const common = functionDefaults(process.env.DB_SCHEMA ?? 'genledger');

  const migrator = new sst.aws.Function('Migrator', {
    ...common,
    // A migration builds indexes over whole tables (54 s for the 10 M-event scale data here):
    // the request paths' 30 s statement timeout would fail the deploy at size. Under the
    // function's own 5 minutes, so the server stops a runaway statement before Lambda gives up.
    environment: { ...common.environment, DB_STATEMENT_TIMEOUT_MS: '270000' },
    handler: 'functions/migrate.handler',
    link: [db.databaseDirectUrl, db.adminApiKey],
    copyFiles: [{ from: 'migrations', to: 'migrations' }],
    timeout: '5 minutes',
    memory: '512 MB',
  });
  const migration = $dev
    ? undefined
    : new aws.lambda.Invocation('MigrateOnDeploy', {
        functionName: migrator.name,
        input: JSON.stringify({ migrations: migrationsHash() }),
      });
  const afterMigration = migration ? { dependsOn: [migration] } : {};

  const generator = backend();
  const api = new sst.aws.Function(
    'ApiFunction',
    {
      ...common,
      handler: 'functions/api.handler',
      link: [db.databaseUrl, db.cursorSecret, queue, webhookQueue, bucket, ...generator.links],
      environment: { ...common.environment, ...deploySettings('api'), ...generator.environment },
      // The console serves htmx from its npm package file; the bundle carries the file beside it.
      copyFiles: [
        { from: 'node_modules/htmx.org/dist/htmx.min.js', to: 'htmx.min.js' },
        ...generator.copyFiles,
      ],
      timeout: '29 seconds',
      memory: '1024 MB',
    },
    afterMigration,
  );
  const gateway = new sst.aws.ApiGatewayV2('Api');
  // Every route goes to the one API function; routing lives in the app.
  gateway.route('$default', api.arn);

  const worker = queue.subscribe(
    {
      ...common,
      handler: 'functions/worker.handler',
      // The API's URL is where asynchronous backends call back (PUBLIC_URL overrides it); the
      // callback tokens it mints are signed with a key derived from CursorSecret, which the API checks.
      link: [db.databaseUrl, db.cursorSecret, queue, webhookQueue, bucket, gateway, ...generator.links],
      environment: { ...common.environment, ...deploySettings('worker'), ...generator.environment },
      copyFiles: generator.copyFiles,
      timeout: `${WORKER_TIMEOUT_S} seconds`,
      memory: '1024 MB',
    },
    {
      batch: {
        size: 10,
        // No window unless WORKER_BATCH_WINDOW_S asks for one: a lone generation starts at once.
        ...(workerBatchWindowS() > 0 ? { window: `${workerBatchWindowS()} seconds` as const } : {}),
        partialResponses: true,
      },
      // Bounds Lambda's fan-out, and so the database connections it can open (docs/deploy.md).
      transform: { eventSourceMapping: { scalingConfig: { maximumConcurrency: workerMaxConcurrency() } } },
    },
    afterMigration,
  );

  deadLetterQueue.subscribe(
    {
      ...common,
      handler: 'functions/dead-letter.handler',
      // The webhook queue: the failed_message.created and failure_group.* deliveries an ingest writes.
      link: [db.databaseUrl, queue, webhookQueue],
      // Receives in the DLQ add to a message's count; the handler reports the main queue's.
      environment: { ...common.environment, QUEUE_MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT) },
      timeout: `${DEAD_LETTER_TIMEOUT_S} seconds`,
      memory: '512 MB',
    },
    { batch: { size: 10, partialResponses: true } },
    afterMigration,
  );

  webhooks(db, common, { webhookQueue, webhookDeadLetterQueue }, bucket, afterMigration);

  new sst.aws.CronV2('Maintenance', {
    schedule: 'rate(1 minute)',
    function: {
      ...common,
      handler: 'functions/maintenance.handler',
      link: [db.databaseUrl, queue, webhookQueue, bucket],
      environment: { ...common.environment, ...deploySettings('maintenance') },
      timeout: '55 seconds',
      memory: '512 MB',
    },
  });

  return { gateway, worker };
}

/**
 * The webhook queue → the delivery function (each record one signed POST; a retry changes its
 * visibility and fails), and its DLQ → the handler that records dead-lettered deliveries among
 * failed messages. Both read signing secrets, sealed under a key derived from CursorSecret.
 */
function webhooks(
  db: ReturnType<typeof database>,
  common: ReturnType<typeof functionDefaults>,
  {
    webhookQueue,
    webhookDeadLetterQueue,
  }: Pick<ReturnType<typeof queues>, 'webhookQueue' | 'webhookDeadLetterQueue'>,
  // A delivery's body is the generation as the API answers it: its outputs as presigned links.
  bucket: ReturnType<typeof outputs>,
  afterMigration: { dependsOn?: aws.lambda.Invocation[] },
) {
  webhookQueue.subscribe(
    {
      ...common,
      handler: 'functions/webhooks.handler',
      link: [db.databaseUrl, db.cursorSecret, webhookQueue, bucket],
      timeout: `${WEBHOOK_TIMEOUT_S} seconds`,
      memory: '512 MB',
    },
    {
      batch: { size: 10, partialResponses: true },
      // Bounds the database connections deliveries open, as the worker's mapping does.
      transform: { eventSourceMapping: { scalingConfig: { maximumConcurrency: 5 } } },
    },
    afterMigration,
  );
  webhookDeadLetterQueue.subscribe(
    {
      ...common,
      handler: 'functions/webhook-dead-letter.handler',
      link: [db.databaseUrl, webhookQueue, webhookDeadLetterQueue],
      environment: { ...common.environment, QUEUE_MAX_RECEIVE_COUNT: String(WEBHOOK_MAX_RECEIVE_COUNT) },
      timeout: `${DEAD_LETTER_TIMEOUT_S} seconds`,
      memory: '512 MB',
    },
    { batch: { size: 10, partialResponses: true } },
    afterMigration,
  );
}
