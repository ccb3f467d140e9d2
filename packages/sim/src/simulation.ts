// `npm run sim`: the deployed stack on one machine, derived from sst.config.ts itself.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { evaluateSstConfig, loadSstConfig } from './config-recorder.ts';
import { type Deployment, deploymentFrom } from './deployment.ts';
import { startFunctions } from './function-instances.ts';
import { functionNode, functionNodeNotice } from './function-node.ts';
import { startHttpFront } from './http-front.ts';
import { simKnobs } from './knobs.ts';
import type { FunctionRuntime, InvokeResult } from './lambda-runtime.ts';
import { linkValues, simSecrets } from './links.ts';
import { startPostgres } from './postgres.ts';
import { createQueues, overrideNotices, visibilityWarnings } from './sim-queues.ts';
import { REGION, type SimSqs, startSqs } from './sqs.ts';
import { startMappings, startSchedules } from './triggers.ts';
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

export interface Invocation {
  fn: string;
  startedAt: Date;
  durationMs: number;
  /** A cold start's import of the handler module (Lambda's "Init Duration"). */
  initMs?: number;
  ok: boolean;
}

export interface Simulation {
  url: string;
  adminApiKey: string;
  deployment: Deployment;
  runtimes: Map<string, FunctionRuntime>;
  queues: Map<string, { url: string; arn: string }>;
  sqs: SimSqs;
  sqsClient: SQSClient;
  /** Every socket the simulation listens on, by what it is: the banner prints them. */
  listeners: { name: string; address: string }[];
  /** What was overridden, and the other start-up facts, one line each. */
  announcements: string[];
  invoke(fn: string, event: unknown): Promise<InvokeResult>;
  /** Every invocation so far, as Lambda's REPORT lines give it: which function, how long, how it ended. */
  invocations: Invocation[];
  /** Runs the scheduled functions once now (tests; the schedule keeps running). */
  tick(): Promise<InvokeResult[]>;
  stop(): Promise<void>;
}

/**
 * The deployed stack on this machine: Postgres behind a Neon-shaped relay, the config's queues on
 * an in-process SQS, every function built and run as Lambda runs it, the migration invoked before
 * traffic, the mappings and schedules, and an API Gateway v2 front.
 */
export async function startSimulation(options: SimOptions = {}): Promise<Simulation> {
  const root = resolve(options.root ?? process.cwd());
  const knobs = simKnobs(options.env ?? process.env);
  const node = functionNode(knobs.SIM_NODE);
  const stage = options.stage ?? 'sim';
  const log = options.log ?? ((fn, line) => process.stdout.write(`[${fn}] ${line}\n`));
  const dataDir = resolve(root, knobs.DATA_DIR, 'sim');
  mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => {});
  };

  try {
    const config = await loadSstConfig(root);
    const deployment = deploymentFrom(await evaluateSstConfig(config, { stage }));
    const secrets = simSecrets(dataDir, knobs);

    const services = await startServices(dataDir, stops);
    const { pg, relay, sqs } = services;
    const queues = createQueues(sqs, deployment, knobs);
    const runtimeNames = deployment.functions.map((fn) => fn.runtime);
    const announcements = [
      ...overrideNotices(knobs, options.extraEnvironment),
      functionNodeNotice(node, runtimeNames),
    ];
    // The front listens first: its URL is the `Api` link, where backends call the worker's jobs
    // back. It answers as API Gateway does while its function is not there yet.
    let invokeApi = async (_event: APIGatewayProxyEventV2): Promise<InvokeResult> => NOT_READY;
    const front = await startHttpFront({
      port: knobs.PORT,
      host: knobs.HOST,
      invoke: (event) => invokeApi(event),
    });
    stops.push(() => front.close());

    const runtimes = await startRuntimes(
      { deployment, root, dataDir, stage, knobs, node, options, log, stops },
      {
        pg,
        relay,
        sqs,
        queues,
        apiUrl: front.url,
        secrets,
      },
    );
    const invocations: Invocation[] = [];
    const invoke = async (name: string, event: unknown) => {
      const runtime = runtimes.get(name);
      if (!runtime) throw new Error(`no function ${name}`);
      const startedAt = new Date();
      const result = await runtime.invoke(event);
      invocations.push({
        fn: name,
        startedAt,
        durationMs: result.durationMs,
        ...(result.initMs === undefined ? {} : { initMs: result.initMs }),
        ok: result.ok,
      });
      return result;
    };

    // As deploy does: the migration function runs with the invocation's input before any traffic.
    if (deployment.migration) announcements.push(await migrate(deployment.migration, invoke));
    const triggers = startTriggers({ deployment, knobs, sqs, queues, invoke, log, announcements, stops });
    invokeApi = (event) => invoke(deployment.api.name, event);

    return {
      url: front.url,
      adminApiKey: secrets.AdminApiKey!,
      deployment,
      runtimes,
      queues,
      sqs,
      sqsClient: triggers.sqsClient,
      listeners: [{ name: 'API Gateway front', address: front.url }, ...services.listeners],
      announcements,
      invoke,
      invocations,
      tick: triggers.tick,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Every function of the config built and started as Lambda runs it, with its links resolved. */
async function startRuntimes(
  context: {
    deployment: Deployment;
    root: string;
    dataDir: string;
    stage: string;
    knobs: ReturnType<typeof simKnobs>;
    node: ReturnType<typeof functionNode>;
    options: SimOptions;
    log: (fn: string, line: string) => void;
    stops: (() => Promise<void>)[];
  },
  services: {
    pg: { user: string; password: string; database: string };
    relay: { port: number };
    sqs: SimSqs;
    queues: ReturnType<typeof createQueues>;
    apiUrl: string;
    secrets: Record<string, string>;
  },
) {
  const { deployment, stage } = context;
  const { pg, sqs } = services;
  const runtimes = await startFunctions({
    deployment,
    root: context.root,
    dataDir: context.dataDir,
    stage,
    knobs: context.knobs,
    node: context.node,
    // A Neon-looking host (the driver is chosen by it, as deployed); the relay ignores it.
    linkValue: linkValues({
      databaseUrl: (host) => `postgresql://${pg.user}:${pg.password}@${host}.sim.neon.tech/${pg.database}`,
      queues: services.queues,
      buckets: createBuckets(sqs, deployment, stage),
      apiUrl: services.apiUrl,
      secrets: services.secrets,
    }),
    relayPort: services.relay.port,
    s3Endpoint: sqs.endpoint,
    extraEnvironment: context.options.extraEnvironment,
    log: context.log,
  });
  context.stops.push(async () => {
    await Promise.all([...runtimes.values()].map((r) => r.stop()));
  });
  return runtimes;
}

/** What API Gateway answers while the function behind it is not deployed yet. */
const NOT_READY: InvokeResult = {
  ok: false,
  error: { errorType: 'NotReady', errorMessage: 'the simulation is starting' },
  coldStart: false,
  durationMs: 0,
};

/** The event source mappings and schedules, once the functions are up and migrated. */
function startTriggers(options: {
  deployment: Deployment;
  knobs: ReturnType<typeof simKnobs>;
  sqs: SimSqs;
  queues: ReturnType<typeof createQueues>;
  invoke: (fn: string, event: unknown) => Promise<InvokeResult>;
  log: (fn: string, line: string) => void;
  announcements: string[];
  stops: (() => Promise<void>)[];
}) {
  const { deployment, knobs, queues, invoke, log, announcements } = options;
  const sqsClient = new SQSClient({
    region: REGION,
    endpoint: options.sqs.endpoint,
    useQueueUrlAsEndpoint: false,
    credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' },
  });
  announcements.push(...visibilityWarnings(deployment, knobs));
  options.stops.push(
    startMappings({ deployment, windowS: knobs.SIM_BATCH_WINDOW_S, client: sqsClient, queues, invoke, log }),
  );
  const schedules = startSchedules({ deployment, knobs, invoke, announce: (l) => announcements.push(l) });
  options.stops.push(schedules.stop);
  return { sqsClient, tick: schedules.tick };
}

/** Where the services listen: loopback always, whatever HOST says (only the front follows it). */
const serviceListeners = (
  pg: { host: string; port: number },
  relay: { port: number },
  sqs: { endpoint: string },
) => [
  { name: 'SQS (no authentication)', address: sqs.endpoint },
  { name: 'Neon relay', address: `ws://127.0.0.1:${relay.port}` },
  { name: 'PostgreSQL', address: `${pg.host}:${pg.port}` },
];

/** What AWS would run for us: Postgres behind a Neon-shaped WebSocket relay, and SQS. */
async function startServices(dataDir: string, stops: (() => Promise<void>)[]) {
  const pg = await startPostgres(dataDir);
  stops.push(() => pg.stop());
  const relay = await startWsRelay({ target: { host: pg.host, port: pg.port } });
  stops.push(() => relay.close());
  const sqs = await startSqs();
  stops.push(() => sqs.stop());
  return { pg, relay, sqs, listeners: serviceListeners(pg, relay, sqs) };
}

/** The config's buckets on fauxqs' S3, named as SST names them (`<app>-<stage>-<component>`, lower case). */
function createBuckets(sqs: SimSqs, deployment: Deployment, stage: string): Map<string, string> {
  return new Map(
    deployment.buckets.map((b) => [b, sqs.createBucket(`genledger-${stage}-${b.toLowerCase()}`)]),
  );
}

/** The deploy's migration invocation; a failure stops the simulation, as it fails the deploy. */
async function migrate(
  migration: NonNullable<Deployment['migration']>,
  invoke: (fn: string, event: unknown) => Promise<InvokeResult>,
): Promise<string> {
  const migrated = await invoke(migration.fn.name, migration.input);
  if (!migrated.ok) throw new Error(`migration failed: ${migrated.error?.errorMessage}`);
  return `migration: ${JSON.stringify(migrated.result)}`;
}
