// Evaluates sst.config.ts with SST's globals replaced by recorders: the wiring is checked here,
// without AWS. `npm run typecheck:infra` checks the same file against SST's real types.
import { existsSync, readFileSync } from 'node:fs';
import { WEBHOOK_MAX_ATTEMPTS } from '@genledger/core/webhooks/retry-schedule';
import { evaluateSstConfig, loadSstConfig, type SstConfig } from '@genledger/sim/config-recorder';
import { beforeAll, describe, expect, it } from 'vitest';

let config: SstConfig;

beforeAll(async () => {
  config = await loadSstConfig();
});

const evaluate = (dev = false, stage = 'production') => evaluateSstConfig(config, { dev, stage });

const handlerFile = (handler: string) => `${handler.replace(/\.handler$/, '')}.ts`;

describe('sst.config.ts', () => {
  it('retains production resources and removes other stages', () => {
    expect(config.app({ stage: 'production' })).toMatchObject({
      name: 'genledger',
      home: 'aws',
      removal: 'retain',
      protect: true,
    });
    expect(config.app({ stage: 'pr-42' })).toMatchObject({ removal: 'remove', protect: false });
  });

  it('points every function at a file that exists and exports a handler', async () => {
    const { find } = await evaluate();
    const handlers = [
      ...find('Function').map((f) => f.args.handler),
      ...find('Subscription').map((s) => s.args.subscriber.handler),
      ...find('CronV2').map((c) => c.args.function.handler),
    ];
    expect(handlers.sort()).toEqual([
      'functions/api.handler',
      'functions/dead-letter.handler',
      'functions/maintenance.handler',
      'functions/migrate.handler',
      'functions/webhook-dead-letter.handler',
      'functions/webhooks.handler',
      'functions/worker.handler',
    ]);
    for (const h of handlers) {
      expect(existsSync(handlerFile(h)), h).toBe(true);
      expect(readFileSync(handlerFile(h), 'utf8')).toMatch(
        /export (const|async function|function) handler\b/,
      );
    }
    for (const f of [
      ...find('Function').map((x) => x.args),
      ...find('Subscription').map((x) => x.args.subscriber),
    ]) {
      expect(f).toMatchObject({
        runtime: 'nodejs22.x',
        architecture: 'arm64',
        logging: { retention: '1 month' },
      });
      expect(f.nodejs.esbuild.external).toContain('@electric-sql/pglite');
    }
  });

  it('wires the queue, its dead-letter queue and their subscribers as SQS needs', async () => {
    const { find } = await evaluate();
    const [queue] = find('Queue', 'Queue');
    const [dlq] = find('Queue', 'DeadLetterQueue');
    const [worker] = find('Subscription', 'Queue');
    const workerTimeout = Number.parseInt(worker!.args.subscriber.timeout, 10);
    expect(Number.parseInt(queue!.args.visibilityTimeout, 10)).toBeGreaterThanOrEqual(6 * workerTimeout);
    expect(queue!.args.dlq).toEqual({ queue: 'DeadLetterQueue.arn', retry: 3 });
    expect(dlq!.args.transform.queue.messageRetentionSeconds).toBeGreaterThan(
      queue!.args.transform.queue.messageRetentionSeconds,
    );
    expect(worker!.args.batch).toMatchObject({ size: 10, partialResponses: true });
    expect(worker!.args.batch.window).toBeDefined();
    const [dead] = find('Subscription', 'DeadLetterQueue');
    // Lambda refuses a mapping whose queue is visible again before the function's timeout.
    expect(Number.parseInt(dlq!.args.visibilityTimeout, 10)).toBeGreaterThanOrEqual(
      Number.parseInt(dead!.args.subscriber.timeout, 10),
    );
    expect(dead!.args.subscriber.handler).toBe('functions/dead-letter.handler');
    expect(dead!.args.batch.partialResponses).toBe(true);
    // The DLQ handler reports the main queue's receives: it knows the redrive maximum.
    expect(dead!.args.subscriber.environment.QUEUE_MAX_RECEIVE_COUNT).toBe(String(queue!.args.dlq.retry));
    expect(dead!.args.subscriber.environment.DB_SCHEMA).toBeDefined();
    // Its own queue reaches it through the mapping; nothing it runs sends to or reads from it.
    const links = (dead!.args.subscriber.link as { name: string }[]).map((l) =>
      l.name.replace(/\.(name|url)$/, ''),
    );
    expect(links.sort()).toEqual(['DatabaseUrl', 'Queue', 'WebhookQueue']);
  });

  it('wires the webhook queue with its DLQ: the delivery function with partial responses, the DLQ handler told the redrive count', async () => {
    const { find } = await evaluate();
    const [hooks] = find('Queue', 'WebhookQueue');
    const [hooksDlq] = find('Queue', 'WebhookDeadLetterQueue');
    expect(hooks!.args.dlq).toEqual({ queue: 'WebhookDeadLetterQueue.arn', retry: WEBHOOK_MAX_ATTEMPTS });
    const [deliver] = find('Subscription', 'WebhookQueue');
    expect(deliver!.args.subscriber.handler).toBe('functions/webhooks.handler');
    expect(deliver!.args.batch).toMatchObject({ size: 10, partialResponses: true });
    expect(Number.parseInt(hooks!.args.visibilityTimeout, 10)).toBeGreaterThanOrEqual(
      6 * Number.parseInt(deliver!.args.subscriber.timeout, 10),
    );
    // A delivery's retries span about 29 h: the queue keeps a message longer than that.
    expect(hooks!.args.transform.queue.messageRetentionSeconds).toBeGreaterThan(29 * 3600);
    const linked = (link: { name: string }[]) =>
      link.map((l) => l.name.replace(/\.(name|url|arn)$/, '')).sort();
    expect(linked(deliver!.args.subscriber.link)).toEqual([
      'CursorSecret',
      'DatabaseUrl',
      'Outputs',
      'WebhookQueue',
    ]);
    const [dead] = find('Subscription', 'WebhookDeadLetterQueue');
    expect(dead!.args.subscriber.handler).toBe('functions/webhook-dead-letter.handler');
    expect(dead!.args.batch.partialResponses).toBe(true);
    expect(dead!.args.subscriber.environment.QUEUE_MAX_RECEIVE_COUNT).toBe(String(WEBHOOK_MAX_ATTEMPTS));
    expect(Number.parseInt(hooksDlq!.args.visibilityTimeout, 10)).toBeGreaterThanOrEqual(
      Number.parseInt(dead!.args.subscriber.timeout, 10),
    );
    // The worker, the API, maintenance and the dead-letter handler (the operational deliveries its
    // ingests write) send deliveries: each is linked to the queue.
    expect(linked(find('Subscription', 'Queue')[0]!.args.subscriber.link)).toContain('WebhookQueue');
    expect(linked(find('Subscription', 'DeadLetterQueue')[0]!.args.subscriber.link)).toContain(
      'WebhookQueue',
    );
    expect(linked(find('CronV2')[0]!.args.function.link)).toContain('WebhookQueue');
    const [alarm] = find('cloudwatch.MetricAlarm', 'WebhookDeadLetterQueueDepth');
    expect(alarm!.args.dimensions).toEqual({ QueueName: 'WebhookDeadLetterQueue.queueName' });
  });

  it('links secrets, not hand-set strings: pooled URL for functions, direct URL for the migrator', async () => {
    const { find } = await evaluate();
    expect(
      find('Secret')
        .map((s) => s.name)
        .sort(),
    ).toEqual(['AdminApiKey', 'CursorSecret', 'DatabaseDirectUrl', 'DatabaseUrl']);
    const secretNames = (link: { name: string }[]) => link.map((l) => l.name.replace('.name', '')).sort();
    const [migrator] = find('Function', 'Migrator');
    expect(secretNames(migrator!.args.link)).toEqual(['AdminApiKey', 'DatabaseDirectUrl']);
    expect(migrator!.args.copyFiles).toEqual([{ from: 'migrations', to: 'migrations' }]);
    // Index builds over whole tables outlast the request paths' statement timeout; the
    // migrator's stays under its own 5 minutes.
    expect(migrator!.args.timeout).toBe('5 minutes');
    expect(migrator!.args.environment.DB_STATEMENT_TIMEOUT_MS).toBe('270000');
    const [api] = find('Function', 'ApiFunction');
    expect(api!.args.environment.DB_STATEMENT_TIMEOUT_MS).toBe('30000');
    expect(api!.args.copyFiles).toEqual([
      { from: 'node_modules/htmx.org/dist/htmx.min.js', to: 'htmx.min.js' },
    ]);
    expect(secretNames(api!.args.link)).toEqual([
      'CursorSecret',
      'DatabaseUrl',
      'Outputs',
      'Queue',
      'WebhookQueue',
    ]);
    // The worker mints callback tokens the API opens: both derive their key from CursorSecret.
    const [worker] = find('Subscription', 'Queue');
    expect(secretNames(worker!.args.subscriber.link).map((n: string) => n.replace('.url', ''))).toEqual([
      'Api',
      'CursorSecret',
      'DatabaseUrl',
      'Outputs',
      'Queue',
      'WebhookQueue',
    ]);
    for (const f of find('Function'))
      expect(JSON.stringify(f.args.environment ?? {})).not.toMatch(/postgres:\/\//);
    expect(find('Route')).toEqual([{ kind: 'Route', name: '$default', args: { target: 'ApiFunction.arn' } }]);
    const [cron] = find('CronV2');
    expect(cron!.args.schedule).toBe('rate(1 minute)');
  });

  it('keeps outputs in one private bucket, linked to the functions that write, sign and delete them', async () => {
    const { find, outputs } = await evaluate();
    const buckets = find('Bucket');
    expect(buckets.map((b) => b.name)).toEqual(['Outputs']);
    // Private: no public or CloudFront access; objects are read through presigned GETs only.
    expect(buckets[0]!.args.access).toBeUndefined();
    expect(buckets[0]!.args.lifecycle).toBeUndefined(); // OUTPUT_RETENTION_DAYS unset: S3 expires nothing
    expect(outputs.outputsBucket).toBe('Outputs.name');
    const linksOf = (args: Record<string, any>) => (args.link as { name: string }[]).map((l) => l.name);
    expect(linksOf(find('Function', 'ApiFunction')[0]!.args)).toContain('Outputs.name');
    expect(linksOf(find('Subscription', 'Queue')[0]!.args.subscriber)).toContain('Outputs.name');
    expect(linksOf(find('CronV2')[0]!.args.function)).toContain('Outputs.name');
    // The dead-letter handler and the migrator never touch outputs.
    expect(linksOf(find('Subscription', 'DeadLetterQueue')[0]!.args.subscriber)).not.toContain(
      'Outputs.name',
    );
    expect(linksOf(find('Function', 'Migrator')[0]!.args)).not.toContain('Outputs.name');
  });

  it('expires outputs in S3 after OUTPUT_RETENTION_DAYS, a whole number of days', async () => {
    try {
      process.env.OUTPUT_RETENTION_DAYS = '90';
      const [bucket] = (await evaluate()).find('Bucket');
      expect(bucket!.args.lifecycle).toEqual([
        { id: 'expire-generation-outputs', prefix: 'generations/', expiresIn: '90 days' },
      ]);
      process.env.OUTPUT_RETENTION_DAYS = 'a year';
      await expect(evaluate()).rejects.toThrow(/^OUTPUT_RETENTION_DAYS: must be a whole number of days/);
    } finally {
      delete process.env.OUTPUT_RETENTION_DAYS;
    }
  });
});
