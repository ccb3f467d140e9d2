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
    const announcements = overrideNotices(knobs, options.extraEnvironment);
    announcements.push(
      functionNodeNotice(
        node,
        deployment.functions.map((fn) => fn.runtime),
      ),
    );

    const runtimes = await startFunctions({
      deployment,
      root,
      dataDir,
      stage,
      knobs,
      node,
      // A Neon-looking host (the driver is chosen by it, as deployed); the relay ignores it.
      linkValue: linkValues({
        databaseUrl: (host) => `postgresql://${pg.user}:${pg.password}@${host}.sim.neon.tech/${pg.database}`,
        queues,
        secrets,
      }),
      relayPort: relay.port,
      extraEnvironment: options.extraEnvironment,
      log,
    });
    stops.push(async () => {
      await Promise.all([...runtimes.values()].map((r) => r.stop()));
    });
    const invoke = invokerOf(runtimes);

    // As deploy does: the migration function runs with the invocation's input before any traffic.
    if (deployment.migration) announcements.push(await migrate(deployment.migration, invoke));

    const sqsClient = new SQSClient({
      region: REGION,
      endpoint: sqs.endpoint,
      useQueueUrlAsEndpoint: false,
      credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' },
    });
    announcements.push(...visibilityWarnings(deployment, knobs));
    stops.push(startMappings({ deployment, client: sqsClient, queues, invoke, log }));
    const schedules = startSchedules({ deployment, knobs, invoke, announce: (l) => announcements.push(l) });
    stops.push(schedules.stop);

    const front = await startHttpFront({
      port: knobs.PORT,
      host: knobs.HOST,
      invoke: (event: APIGatewayProxyEventV2) => invoke(deployment.api.name, event),
    });
    stops.push(() => front.close());

    return {
      url: front.url,
      adminApiKey: secrets.AdminApiKey!,
      deployment,
      runtimes,
      queues,
      sqs,
      sqsClient,
      listeners: [{ name: 'API Gateway front', address: front.url }, ...services.listeners],
      announcements,
      invoke,
      tick: schedules.tick,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Invokes a function by its name, as Lambda's Invoke does. */
const invokerOf = (runtimes: Map<string, FunctionRuntime>) => (name: string, event: unknown) => {
  const runtime = runtimes.get(name);
  if (!runtime) throw new Error(`no function ${name}`);
  return runtime.invoke(event);
};

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

/** The deploy's migration invocation; a failure stops the simulation, as it fails the deploy. */
async function migrate(
  migration: NonNullable<Deployment['migration']>,
  invoke: (fn: string, event: unknown) => Promise<InvokeResult>,
): Promise<string> {
  const migrated = await invoke(migration.fn.name, migration.input);
  if (!migrated.ok) throw new Error(`migration failed: ${migrated.error?.errorMessage}`);
  return `migration: ${JSON.stringify(migrated.result)}`;
}
