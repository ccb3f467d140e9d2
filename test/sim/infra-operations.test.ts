// sst.config.ts evaluated as in infra.test.ts (SST's globals replaced by recorders): what operating
// it takes — deploy-time settings reaching the functions, concurrency, alarms, per-stage Neon
// branches, and the migration at deploy.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { evaluateSstConfig, loadSstConfig, type SstConfig } from '@genledger/sim/config-recorder';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

let config: SstConfig;

beforeAll(async () => {
  config = await loadSstConfig();
});

const evaluate = (dev = false, stage = 'production') => evaluateSstConfig(config, { dev, stage });

describe('operability', () => {
  const DEPLOY_TIME = [
    'OUTPUT_MAX_BYTES',
    'OUTPUT_URL_TTL_S',
    'WORKER_MAX_CONCURRENCY',
    'WORKER_BATCH_WINDOW_S',
    'ALARM_EMAIL',
    'GENERATOR_URL',
    'GENERATOR_TIMEOUT_MS',
    'WORKER_STALE_AFTER_S',
    'MAINTENANCE_STALE_AFTER_S',
    'MAINTENANCE_RESEND_AFTER_S',
    'EVENT_ARCHIVE_AFTER_DAYS',
    'EVENT_ARCHIVE_RUN_CHUNKS',
    'COMFYUI_WORKFLOW',
    'EVENT_ARCHIVE_BATCH',
  ];
  afterEach(() => {
    for (const name of DEPLOY_TIME) delete process.env[name];
  });
  const concurrency = (find: (kind: string, name?: string) => { args: Record<string, any> }[]) =>
    find('Subscription', 'Queue')[0]!.args.transform.eventSourceMapping.scalingConfig.maximumConcurrency;

  it('takes the generator backend and the runtime settings from the deploy shell to the functions that read them', async () => {
    const environments = async () => {
      const { find } = await evaluate();
      return {
        worker: find('Subscription', 'Queue')[0]!.args.subscriber.environment as Record<string, string>,
        maintenance: find('CronV2')[0]!.args.function.environment as Record<string, string>,
        api: find('Function', 'ApiFunction')[0]!.args.environment as Record<string, string>,
      };
    };
    // Unset: nothing is added and each function keeps its own defaults (the builtin generator).
    const plain = await environments();
    expect(plain.worker.GENERATOR_URL).toBeUndefined();
    expect(plain.maintenance.EVENT_ARCHIVE_AFTER_DAYS).toBeUndefined();
    Object.assign(process.env, {
      GENERATOR_URL: 'https://generator.internal.example/v1/render',
      GENERATOR_TIMEOUT_MS: '90000',
      WORKER_STALE_AFTER_S: '600',
      MAINTENANCE_STALE_AFTER_S: '1800',
      EVENT_ARCHIVE_AFTER_DAYS: '0',
      EVENT_ARCHIVE_RUN_CHUNKS: '20',
      OUTPUT_MAX_BYTES: '52428800',
      OUTPUT_URL_TTL_S: '900',
    });
    const set = await environments();
    expect(set.worker.OUTPUT_MAX_BYTES).toBe('52428800');
    expect(set.api.OUTPUT_URL_TTL_S).toBe('900');
    expect(set.api.OUTPUT_MAX_BYTES).toBeUndefined();
    expect(set.worker).toMatchObject({
      GENERATOR_URL: 'https://generator.internal.example/v1/render',
      GENERATOR_TIMEOUT_MS: '90000',
      WORKER_STALE_AFTER_S: '600',
      DB_SCHEMA: 'genledger',
    });
    expect(set.worker.EVENT_ARCHIVE_AFTER_DAYS).toBeUndefined();
    expect(set.maintenance).toMatchObject({
      WORKER_STALE_AFTER_S: '600',
      MAINTENANCE_STALE_AFTER_S: '1800',
      EVENT_ARCHIVE_AFTER_DAYS: '0',
      EVENT_ARCHIVE_RUN_CHUNKS: '20',
      DB_SCHEMA: 'genledger',
    });
    expect(set.maintenance.GENERATOR_URL).toBeUndefined();
    // The API settles asynchronous backends' callbacks: it reads the backend too.
    expect(set.api.GENERATOR_URL).toBe('https://generator.internal.example/v1/render');
    // A mistyped value stops the deploy with one line naming it.
    process.env.GENERATOR_URL = 'generator.internal:8080';
    await expect(evaluate()).rejects.toThrow(
      /^GENERATOR_URL: must be an http\(s\), cog\+http\(s\), comfyui\+http\(s\) or replicate:\/\/ URL, got "generator.internal:8080"$/,
    );
    process.env.GENERATOR_URL = 'http://generator.internal:8080/';
    process.env.EVENT_ARCHIVE_AFTER_DAYS = '30d';
    await expect(evaluate()).rejects.toThrow(/^EVENT_ARCHIVE_AFTER_DAYS: must be a whole number, got "30d"$/);
  });

  it('gives an asynchronous backend what it needs: the API URL to the worker, Replicate secrets linked, a ComfyUI workflow bundled', async () => {
    const linkNames = (link: { name: string }[]) =>
      link.map((l) => l.name.replace(/\.(name|url)$/, '')).sort();
    const worker = (find: Awaited<ReturnType<typeof evaluate>>['find']) =>
      find('Subscription', 'Queue')[0]!.args.subscriber;
    expect(linkNames(worker((await evaluate()).find).link)).toContain('Api');
    process.env.GENERATOR_URL = 'replicate://acme/sdxl';
    const replicate = await evaluate();
    expect(replicate.find('Secret').map((s) => s.name)).toEqual(
      expect.arrayContaining(['ReplicateApiToken', 'ReplicateWebhookSecret']),
    );
    expect(linkNames(worker(replicate.find).link)).toEqual(
      expect.arrayContaining(['ReplicateApiToken', 'ReplicateWebhookSecret']),
    );
    expect(linkNames(replicate.find('Function', 'ApiFunction')[0]!.args.link)).toEqual(
      expect.arrayContaining(['ReplicateApiToken', 'ReplicateWebhookSecret']),
    );
    process.env.GENERATOR_URL = 'comfyui+http://comfy.internal:8188';
    await expect(evaluate()).rejects.toThrow(/^COMFYUI_WORKFLOW: required with a comfyui\+ GENERATOR_URL$/);
    process.env.COMFYUI_WORKFLOW = 'workflows/sdxl.json';
    const comfy = worker((await evaluate()).find);
    expect(comfy.copyFiles).toEqual([
      { from: 'workflows/sdxl.json', to: 'comfyui/workflow.json' },
      { from: 'workflows/sdxl.bindings.json', to: 'comfyui/workflow.bindings.json' },
    ]);
    expect(comfy.environment.COMFYUI_WORKFLOW).toBe('comfyui/workflow.json');
  });

  it('bounds the worker mapping’s concurrency: 10 unless WORKER_MAX_CONCURRENCY says otherwise', async () => {
    expect(concurrency((await evaluate()).find)).toBe(10);
    process.env.WORKER_MAX_CONCURRENCY = '25';
    expect(concurrency((await evaluate()).find)).toBe(25);
    process.env.WORKER_MAX_CONCURRENCY = '1';
    await expect(evaluate()).rejects.toThrow(/WORKER_MAX_CONCURRENCY: must be an integer from 2 to 1000/);
  });

  it('gives the worker mapping a batching window only when WORKER_BATCH_WINDOW_S asks for one', async () => {
    const batch = async () => (await evaluate()).find('Subscription', 'Queue')[0]!.args.batch;
    expect((await batch()).window).toBeUndefined();
    process.env.WORKER_BATCH_WINDOW_S = '5';
    expect(await batch()).toMatchObject({ size: 10, window: '5 seconds', partialResponses: true });
    process.env.WORKER_BATCH_WINDOW_S = '0';
    expect((await batch()).window).toBeUndefined();
    for (const bad of ['301', '-1', '2.5', 'five']) {
      process.env.WORKER_BATCH_WINDOW_S = bad;
      await expect(evaluate()).rejects.toThrow(
        /^WORKER_BATCH_WINDOW_S: must be an integer from 0 to 300 seconds/,
      );
    }
  });

  it('alarms on any dead-lettered message and on worker errors, e-mailed only when ALARM_EMAIL is set', async () => {
    const { find } = await evaluate();
    const [dlq] = find('cloudwatch.MetricAlarm', 'DeadLetterQueueDepth');
    expect(dlq!.args).toMatchObject({
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: 'DeadLetterQueue.queueName' },
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      alarmActions: ['Alarms.arn'],
    });
    const [errors] = find('cloudwatch.MetricAlarm', 'WorkerErrors');
    expect(errors!.args).toMatchObject({
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: 'QueueSubscriber.name' },
      threshold: 0,
    });
    expect(find('sns.TopicSubscription')).toEqual([]);

    process.env.ALARM_EMAIL = 'ops@example.com';
    const [sub] = (await evaluate()).find('sns.TopicSubscription');
    expect(sub!.args).toEqual({ topic: 'Alarms.arn', protocol: 'email', endpoint: 'ops@example.com' });
  });
});

describe('per-stage Neon branches (NEON_PROJECT_ID)', () => {
  afterEach(() => {
    delete process.env.NEON_PROJECT_ID;
    delete process.env.NEON_PARENT_BRANCH_ID;
  });

  it('are off unless configured: no provider, no branch, the URLs come from secrets', async () => {
    expect(config.app({ stage: 'pr-42' }).providers).toBeUndefined();
    const { find } = await evaluate(false, 'pr-42');
    expect(find('neon.Branch')).toEqual([]);
    expect(find('Secret', 'DatabaseUrl')).toHaveLength(1);
  });

  it('give a non-production stage its own branch, role, database and compute, linked under the same names', async () => {
    process.env.NEON_PROJECT_ID = 'proj-123';
    process.env.NEON_PARENT_BRANCH_ID = 'br-main';
    expect(config.app({ stage: 'pr-42' }).providers).toEqual({ neon: expect.any(String) });
    const { find } = await evaluate(false, 'pr-42');
    expect(find('neon.Branch')[0]!.args).toEqual({
      projectId: 'proj-123',
      name: 'genledger-pr-42',
      parentId: 'br-main',
    });
    expect(find('neon.Endpoint')[0]!.args).toMatchObject({
      projectId: 'proj-123',
      branchId: 'DatabaseBranch.id',
      type: 'read_write',
    });
    expect(find('neon.Database')[0]!.args).toMatchObject({ ownerName: 'DatabaseRole.name' });
    expect(find('Secret', 'DatabaseUrl')).toEqual([]);
    expect(find('Secret', 'DatabaseDirectUrl')).toEqual([]);
    const [pooled] = find('Linkable', 'DatabaseUrl');
    const [direct] = find('Linkable', 'DatabaseDirectUrl');
    expect(pooled!.args.properties.value).toBe(
      'postgresql://DatabaseRole.name:DatabaseRole.password@ep-databaseendpoint-123-pooler.eu-central-1.aws.neon.tech/Database.name?sslmode=require',
    );
    expect(direct!.args.properties.value).toBe(
      'postgresql://DatabaseRole.name:DatabaseRole.password@ep-databaseendpoint-123.eu-central-1.aws.neon.tech/Database.name?sslmode=require',
    );
    const linkNames = (link: { name: string }[]) => link.map((l) => l.name.replace('.name', '')).sort();
    expect(linkNames(find('Function', 'ApiFunction')[0]!.args.link)).toContain('DatabaseUrl');
    expect(linkNames(find('Function', 'Migrator')[0]!.args.link)).toEqual([
      'AdminApiKey',
      'DatabaseDirectUrl',
    ]);
  });

  it('never apply to production, which keeps its secrets', async () => {
    process.env.NEON_PROJECT_ID = 'proj-123';
    const { find } = await evaluate(false, 'production');
    expect(find('neon.Branch')).toEqual([]);
    expect(find('Secret', 'DatabaseUrl')).toHaveLength(1);
  });
});

describe('migration at deploy', () => {
  const probe = 'migrations/zz_infra_test_probe.sql';
  afterEach(() => {
    if (existsSync(probe)) rmSync(probe);
  });

  it('invokes the migrator with a hash of migrations/ that changes exactly when they change; API and worker wait for it', async () => {
    const first = await evaluate();
    const [inv] = first.find('Invocation');
    expect(inv!.args.functionName).toBe('Migrator.name');
    const hash = JSON.parse(inv!.args.input).migrations as string;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.find('Function', 'ApiFunction')[0]!.opts?.dependsOn).toHaveLength(1);
    expect(first.find('Subscription', 'Queue')[0]!.opts?.dependsOn).toHaveLength(1);

    const same = JSON.parse((await evaluate()).find('Invocation')[0]!.args.input).migrations;
    expect(same).toBe(hash);
    writeFileSync(probe, 'select 1;');
    const changed = JSON.parse((await evaluate()).find('Invocation')[0]!.args.input).migrations;
    expect(changed).not.toBe(hash);
  });

  it('is skipped under sst dev', async () => {
    const dev = await evaluate(true);
    expect(dev.find('Invocation')).toEqual([]);
    expect(dev.find('Function', 'ApiFunction')[0]!.opts?.dependsOn).toBeUndefined();
  });
});
