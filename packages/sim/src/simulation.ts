// `npm run sim`: the deployed stack on one machine, derived from sst.config.ts itself.
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { buildFunction, makeReadOnly } from './build.ts';
import { evaluateSstConfig, loadSstConfig } from './config-recorder.ts';
import { type Deployment, deploymentFrom, type FunctionSpec } from './deployment.ts';
import { EventSourceMapping } from './event-source-mapping.ts';
import { functionNode, functionNodeNotice } from './function-node.ts';
import { startHttpFront } from './http-front.ts';
import { type SimKnobs, simKnobs } from './knobs.ts';
import { FunctionRuntime, type InvokeResult } from './lambda-runtime.ts';
import { startPostgres } from './postgres.ts';
import { REGION, type SimSqs, startSqs } from './sqs.ts';
import { startWsRelay } from './ws-relay.ts';

export interface SimOptions {
  /** The repository (where sst.config.ts is). */
  root?: string;
  /** Where the knobs are read from. */
  env?: NodeJS.ProcessEnv;
  stage?: string;
  /** Added to every function's environment (tests only: e.g. MAINTENANCE_RESEND_AFTER_S). */
  extraEnvironment?: Record<string, string>;
  log?: (fn: string, line: string) => void;
}

export interface Simulation {
  url: string;
  adminApiKey: string;
  deployment: Deployment;
  runtimes: Map<string, FunctionRuntime>;
  queues: Map<string, { url: string; arn: string }>;
  sqs: SimSqs;
  sqsClient: SQSClient;
  /** What was overridden, and the other start-up facts, one line each. */
  announcements: string[];
  invoke(fn: string, event: unknown): Promise<InvokeResult>;
  /** Runs the scheduled functions once now (tests; the schedule keeps running). */
  tick(): Promise<InvokeResult[]>;
  stop(): Promise<void>;
}

const BOOTSTRAP = fileURLToPath(new URL('./lambda-bootstrap.mjs', import.meta.url));

/** Secrets `sst secret set` would hold: generated once, kept under DATA_DIR. */
function secrets(dir: string, knobs: SimKnobs) {
  const file = join(dir, 'secrets.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  stored.CursorSecret ??= randomBytes(32).toString('base64url');
  stored.AdminApiKey ??= `gl_sim_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  return { ...stored, AdminApiKey: knobs.ADMIN_API_KEY ?? stored.AdminApiKey! } as Record<string, string>;
}

/** SST's encrypted links file: AES-256-GCM with a zero nonce, the tag appended; the key in SST_KEY. */
function encryptLinks(links: Record<string, unknown>) {
  const key = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 0));
  const data = Buffer.concat([cipher.update(JSON.stringify(links)), cipher.final(), cipher.getAuthTag()]);
  return { key: key.toString('base64'), data };
}

export async function startSimulation(options: SimOptions = {}): Promise<Simulation> {
  const root = resolve(options.root ?? process.cwd());
  const knobs = simKnobs(options.env ?? process.env);
  const node = functionNode(knobs.SIM_NODE);
  const stage = options.stage ?? 'sim';
  const log = options.log ?? ((fn, line) => process.stdout.write(`[${fn}] ${line}\n`));
  const dataDir = resolve(root, knobs.DATA_DIR, 'sim');
  mkdirSync(dataDir, { recursive: true });
  const announcements: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => {});
  };

  try {
    const config = await loadSstConfig(root);
    const deployment = deploymentFrom(await evaluateSstConfig(config, { stage }));
    const secretValues = secrets(dataDir, knobs);

    const pg = await startPostgres(dataDir);
    stops.push(() => pg.stop());
    const relay = await startWsRelay({ target: { host: pg.host, port: pg.port } });
    stops.push(() => relay.close());
    // A Neon-looking host (the driver is chosen by it, as deployed); the relay ignores it.
    const dbUrl = (host: string) =>
      `postgresql://${pg.user}:${pg.password}@${host}.sim.neon.tech/${pg.database}`;

    const sqs = await startSqs();
    stops.push(() => sqs.stop());
    const queues = new Map<string, { url: string; arn: string }>();
    const ordered = [...deployment.queues].sort((a, b) => Number(!!a.deadLetter) - Number(!!b.deadLetter));
    for (const q of ordered) {
      const visibility = knobs.QUEUE_VISIBILITY_TIMEOUT ?? q.visibilityTimeoutS;
      const attributes: Record<string, string> = { VisibilityTimeout: String(visibility) };
      if (q.retentionS) attributes.MessageRetentionPeriod = String(q.retentionS);
      if (q.deadLetter) {
        const target = queues.get(q.deadLetter.queue);
        if (!target) throw new Error(`${q.name}: its dead-letter queue ${q.deadLetter.queue} is not defined`);
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: target.arn,
          maxReceiveCount: String(knobs.QUEUE_MAX_RECEIVE_COUNT ?? q.deadLetter.maxReceiveCount),
        });
      }
      queues.set(q.name, sqs.createQueue(q.name, attributes));
    }
    if (knobs.QUEUE_VISIBILITY_TIMEOUT !== undefined)
      announcements.push(
        `QUEUE_VISIBILITY_TIMEOUT=${knobs.QUEUE_VISIBILITY_TIMEOUT}s overrides the config's visibility timeouts`,
      );
    if (knobs.QUEUE_MAX_RECEIVE_COUNT !== undefined)
      announcements.push(
        `QUEUE_MAX_RECEIVE_COUNT=${knobs.QUEUE_MAX_RECEIVE_COUNT} overrides the config's redrive count`,
      );
    if (knobs.GENERATOR_URL) announcements.push(`GENERATOR_URL=${knobs.GENERATOR_URL} set on every function`);
    if (knobs.ADMIN_API_KEY) announcements.push('ADMIN_API_KEY is the AdminApiKey secret');
    if (options.extraEnvironment && Object.keys(options.extraEnvironment).length)
      announcements.push(
        `added to every function's environment: ${Object.keys(options.extraEnvironment).join(', ')}`,
      );

    /** What each link carries, in the shape SST gives it. */
    const linkValue = (name: string): unknown => {
      if (name === 'DatabaseUrl') return { type: 'sst.sst.Secret', value: dbUrl('ep-sim-pooler') };
      if (name === 'DatabaseDirectUrl') return { type: 'sst.sst.Secret', value: dbUrl('ep-sim') };
      const queue = queues.get(name);
      if (queue) return { type: 'sst.aws.Queue', url: queue.url };
      if (name in secretValues) return { type: 'sst.sst.Secret', value: secretValues[name] };
      throw new Error(`link ${name}: the simulation does not know this resource`);
    };

    announcements.push(
      functionNodeNotice(
        node,
        deployment.functions.map((fn) => fn.runtime),
      ),
    );
    const buildRoot = join(dataDir, 'functions');
    const tmpRoot = join(dataDir, 'tmp');
    rmSync(tmpRoot, { recursive: true, force: true });
    mkdirSync(tmpRoot, { recursive: true, mode: 0o755 });
    const app = { name: 'genledger', stage };
    const runtimes = new Map<string, FunctionRuntime>();
    const built = await Promise.all(
      deployment.functions.map(async (fn: FunctionSpec) => ({
        fn,
        dir: await buildFunction(fn, root, join(buildRoot, fn.name)),
      })),
    );
    for (const { fn, dir } of built) {
      const links = Object.fromEntries(fn.links.map((l) => [l, linkValue(l)]));
      const encrypted = encryptLinks({ ...links, App: app });
      writeFileSync(join(dir, 'resource.enc'), encrypted.data);
      makeReadOnly(dir);
      const environment: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        LAMBDA_TASK_ROOT: dir,
        AWS_LAMBDA_FUNCTION_NAME: `genledger-${stage}-${fn.name}`,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'sim',
        AWS_SECRET_ACCESS_KEY: 'sim',
        AWS_SESSION_TOKEN: 'sim',
        ...fn.environment,
        SST_RESOURCE_App: JSON.stringify(app),
        SST_KEY: encrypted.key,
        SST_KEY_FILE: 'resource.enc',
        // Stands in for Neon's proxy: the driver's WebSocket goes to the local relay.
        DB_NEON_WS_PROXY: `127.0.0.1:${relay.port}/v1?address={host}:{port}`,
        ...(knobs.GENERATOR_URL ? { GENERATOR_URL: knobs.GENERATOR_URL } : {}),
        // A function told the redrive count (the DLQ handler) hears the overridden one.
        ...(knobs.QUEUE_MAX_RECEIVE_COUNT !== undefined && 'QUEUE_MAX_RECEIVE_COUNT' in fn.environment
          ? { QUEUE_MAX_RECEIVE_COUNT: String(knobs.QUEUE_MAX_RECEIVE_COUNT) }
          : {}),
        ...options.extraEnvironment,
      };
      runtimes.set(
        fn.name,
        new FunctionRuntime({
          name: fn.name,
          handler: fn.handler,
          codeDir: dir,
          bootstrap: BOOTSTRAP,
          environment,
          timeoutMs: fn.timeoutS * 1000,
          idleMs: knobs.SIM_INSTANCE_IDLE_S * 1000,
          tmpRoot,
          execPath: node.path,
          log,
        }),
      );
    }
    stops.push(async () => {
      await Promise.all([...runtimes.values()].map((r) => r.stop()));
    });
    const invoke = (name: string, event: unknown) => {
      const runtime = runtimes.get(name);
      if (!runtime) throw new Error(`no function ${name}`);
      return runtime.invoke(event);
    };

    // As deploy does: the migration function runs with the invocation's input before any traffic.
    if (deployment.migration) {
      const migrated = await invoke(deployment.migration.fn.name, deployment.migration.input);
      if (!migrated.ok) throw new Error(`migration failed: ${migrated.error?.errorMessage}`);
      announcements.push(`migration: ${JSON.stringify(migrated.result)}`);
    }

    const sqsClient = new SQSClient({
      region: REGION,
      endpoint: sqs.endpoint,
      useQueueUrlAsEndpoint: false,
      credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' },
    });
    for (const s of deployment.subscriptions) {
      const q = deployment.queues.find((x) => x.name === s.queue);
      const visibility = knobs.QUEUE_VISIBILITY_TIMEOUT ?? q?.visibilityTimeoutS ?? 30;
      if (visibility < s.fn.timeoutS + s.windowS)
        announcements.push(
          `warning: ${s.queue}'s visibility timeout (${visibility}s) is shorter than its subscriber's timeout + batching window (${s.fn.timeoutS + s.windowS}s): AWS refuses that mapping; here a slow batch is received twice`,
        );
    }
    const mappings = deployment.subscriptions.map((s) => {
      const queue = queues.get(s.queue)!;
      return new EventSourceMapping({
        client: sqsClient,
        queueUrl: queue.url,
        queueArn: queue.arn,
        region: REGION,
        batchSize: s.batchSize,
        windowS: s.windowS,
        partialResponses: s.partialResponses,
        // Unbounded on AWS when unset (up to the account's concurrency); a few pollers here.
        concurrency: s.maxConcurrency ?? 5,
        invoke: (event) => invoke(s.fn.name, event),
        log: (line) => log(`${s.queue}-mapping`, line),
      });
    });
    for (const m of mappings) m.start();
    stops.push(async () => {
      await Promise.all(mappings.map((m) => m.stop()));
    });

    const scheduledEvent = () => ({
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: REGION,
      resources: [],
      detail: {},
    });
    const tick = () => Promise.all(deployment.schedules.map((s) => invoke(s.fn.name, scheduledEvent())));
    for (const s of deployment.schedules) {
      const rateS = knobs.MAINTENANCE_INTERVAL_S ?? s.rateS;
      if (knobs.MAINTENANCE_INTERVAL_S !== undefined)
        announcements.push(
          `MAINTENANCE_INTERVAL_S=${rateS} overrides ${s.name}'s schedule (every ${s.rateS}s)`,
        );
      const timer = setInterval(() => void invoke(s.fn.name, scheduledEvent()), rateS * 1000);
      stops.push(async () => clearInterval(timer));
    }

    const front = await startHttpFront({
      port: knobs.PORT,
      invoke: (event: APIGatewayProxyEventV2) => invoke(deployment.api.name, event),
    });
    stops.push(() => front.close());

    return {
      url: front.url,
      adminApiKey: secretValues.AdminApiKey!,
      deployment,
      runtimes,
      queues,
      sqs,
      sqsClient,
      announcements,
      invoke,
      tick,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
