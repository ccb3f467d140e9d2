/// <reference path="./.sst/platform/config.d.ts" />

// genledger on AWS: API Gateway → API Lambda, SQS (+ DLQ) → worker and dead-letter Lambdas, a
// scheduled maintenance Lambda, and a migration Lambda invoked by every deploy whose migrations
// changed. Neon Postgres is reached through secrets (pooled URL for functions, direct for migrations).

/** Seconds a worker may run; the queue's visibility timeout is six times this (AWS's advice). */
const WORKER_TIMEOUT_S = 120;
/** Receives before a message moves to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 3;
/** The Neon provider, added only when per-stage branches are turned on (NEON_PROJECT_ID). */
const NEON_PROVIDER_VERSION = '0.13.0';
const PRODUCTION = 'production';

export default $config({
  app(input) {
    const production = input?.stage === PRODUCTION;
    return {
      name: 'genledger',
      home: 'aws',
      // Production keeps its queues and logs when the stack is removed; other stages clean up.
      removal: production ? 'retain' : 'remove',
      protect: production,
      ...(process.env.NEON_PROJECT_ID ? { providers: { neon: NEON_PROVIDER_VERSION } } : {}),
    };
  },
  async run() {
    const { createHash } = await import('node:crypto');
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');

    // Neon: a pooled URL for functions (-pooler host) and a direct one for migrations (advisory
    // lock). From secrets, or, with NEON_PROJECT_ID, from a branch of that project per
    // non-production stage, created and removed with the stage. Production always uses secrets.
    const neonProjectId = process.env.NEON_PROJECT_ID;
    const { databaseUrl, databaseDirectUrl } =
      neonProjectId && $app.stage !== PRODUCTION
        ? neonStageBranch(neonProjectId, process.env.NEON_PARENT_BRANCH_ID)
        : {
            databaseUrl: new sst.Secret('DatabaseUrl'),
            databaseDirectUrl: new sst.Secret('DatabaseDirectUrl'),
          };
    const adminApiKey = new sst.Secret('AdminApiKey');
    const cursorSecret = new sst.Secret('CursorSecret');

    const deadLetterQueue = new sst.aws.Queue('DeadLetterQueue', {
      // Longer than the main queue's 4 days: operators get two weeks to look before SQS drops it.
      transform: { queue: { messageRetentionSeconds: 14 * 24 * 3600 } },
    });
    const queue = new sst.aws.Queue('Queue', {
      visibilityTimeout: `${6 * WORKER_TIMEOUT_S} seconds`,
      dlq: { queue: deadLetterQueue.arn, retry: MAX_RECEIVE_COUNT },
      transform: { queue: { messageRetentionSeconds: 4 * 24 * 3600 } },
    });

    const schema = process.env.DB_SCHEMA ?? 'genledger';
    const common = {
      runtime: 'nodejs22.x' as const,
      architecture: 'arm64' as const,
      logging: { retention: '1 month' as const, format: 'json' as const },
      environment: {
        DB_SCHEMA: schema,
        // One or two connections per instance, as Neon advises for Lambda.
        DB_POOL_MAX: '2',
        DB_STATEMENT_TIMEOUT_MS: '30000',
        LOG_LEVEL: 'info',
        NODE_OPTIONS: '--enable-source-maps',
      },
      nodejs: {
        // Functions never load the embedded database; keep it out of every bundle.
        esbuild: { external: ['@electric-sql/pglite'] },
        minify: true,
        // Database drivers load by dynamic import: split, each function loads only the one it uses
        // (and esbuild keeps module initialisation order right, which one file cannot across them).
        splitting: true,
      },
    };

    const migrator = new sst.aws.Function('Migrator', {
      ...common,
      handler: 'functions/migrate.handler',
      link: [databaseDirectUrl, adminApiKey],
      copyFiles: [{ from: 'migrations', to: 'migrations' }],
      timeout: '5 minutes',
      memory: '512 MB',
    });

    // The invocation's input is a hash of the migrations folder: it changes, and so re-runs the
    // migrator, exactly when a migration was added or changed.
    const migrationsHash = createHash('sha256');
    const dir = 'migrations';
    for (const file of readdirSync(dir, { recursive: true }).map(String).sort()) {
      if (file.endsWith('.sql') || file.endsWith('.json'))
        migrationsHash.update(file).update(readFileSync(join(dir, file)));
    }
    const migration = $dev
      ? undefined
      : new aws.lambda.Invocation('MigrateOnDeploy', {
          functionName: migrator.name,
          input: JSON.stringify({ migrations: migrationsHash.digest('hex') }),
        });
    const afterMigration = migration ? { dependsOn: [migration] } : {};

    const api = new sst.aws.Function(
      'ApiFunction',
      {
        ...common,
        handler: 'functions/api.handler',
        link: [databaseUrl, cursorSecret, queue],
        // The console serves htmx from its npm package file; the bundle carries the file beside it.
        copyFiles: [{ from: 'node_modules/htmx.org/dist/htmx.min.js', to: 'htmx.min.js' }],
        timeout: '29 seconds',
        memory: '1024 MB',
      },
      afterMigration,
    );
    const gateway = new sst.aws.ApiGatewayV2('Api');
    // Every route goes to the one API function; routing lives in the app.
    gateway.route('$default', api.arn);

    queue.subscribe(
      {
        ...common,
        handler: 'functions/worker.handler',
        link: [databaseUrl, queue],
        timeout: `${WORKER_TIMEOUT_S} seconds`,
        memory: '1024 MB',
      },
      { batch: { size: 10, window: '5 seconds', partialResponses: true } },
      afterMigration,
    );

    deadLetterQueue.subscribe(
      {
        ...common,
        handler: 'functions/dead-letter.handler',
        link: [databaseUrl, queue, deadLetterQueue],
        timeout: '60 seconds',
        memory: '512 MB',
      },
      { batch: { size: 10, partialResponses: true } },
      afterMigration,
    );

    new sst.aws.CronV2('Maintenance', {
      schedule: 'rate(1 minute)',
      function: {
        ...common,
        handler: 'functions/maintenance.handler',
        link: [databaseUrl, queue],
        timeout: '55 seconds',
        memory: '512 MB',
      },
    });

    return { api: gateway.url, queueUrl: queue.url, deadLetterQueueUrl: deadLetterQueue.url };
  },
});

/**
 * A Neon branch for this stage (from the parent branch, or the project's default), with its own
 * role, database and compute, exposed under the same link names the secrets use, so functions
 * read them the same way. The Neon provider takes its key from NEON_API_KEY.
 */
function neonStageBranch(projectId: string, parentId: string | undefined) {
  const branch = new neon.Branch('DatabaseBranch', {
    projectId,
    name: `genledger-${$app.stage}`,
    ...(parentId ? { parentId } : {}),
  });
  const endpoint = new neon.Endpoint('DatabaseEndpoint', {
    projectId,
    branchId: branch.id,
    type: 'read_write',
  });
  const role = new neon.Role('DatabaseRole', { projectId, branchId: branch.id, name: 'genledger' });
  const database = new neon.Database('Database', {
    projectId,
    branchId: branch.id,
    name: 'genledger',
    ownerName: role.name,
  });
  const url = (host: $util.Input<string>) =>
    $interpolate`postgresql://${role.name}:${role.password}@${host}/${database.name}?sslmode=require`;
  // Neon's pooler (PgBouncer, transaction mode) is the endpoint's host with "-pooler" on its first label.
  const pooledHost = endpoint.host.apply((host) => host.replace(/^([^.]+)/, '$1-pooler'));
  return {
    databaseUrl: new sst.Linkable('DatabaseUrl', { properties: { value: url(pooledHost) } }),
    databaseDirectUrl: new sst.Linkable('DatabaseDirectUrl', { properties: { value: url(endpoint.host) } }),
  };
}
