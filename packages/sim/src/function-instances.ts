// Each function of the config built as SST builds it and run as Lambda runs it: its bundle in a
// read-only code directory, its links encrypted beside it, and the environment Lambda gives it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFunction, makeReadOnly } from './build.ts';
import type { Deployment, FunctionSpec } from './deployment.ts';
import type { FunctionNode } from './function-node.ts';
import type { SimKnobs } from './knobs.ts';
import { FunctionRuntime } from './lambda-runtime.ts';
import { encryptLinks } from './links.ts';
import { REGION } from './sqs.ts';

const BOOTSTRAP = fileURLToPath(new URL('./lambda-bootstrap.mjs', import.meta.url));

export interface FunctionsOptions {
  deployment: Deployment;
  root: string;
  dataDir: string;
  stage: string;
  knobs: SimKnobs;
  node: FunctionNode;
  linkValue: (name: string) => unknown;
  /** The port of the WebSocket relay standing in for Neon's proxy. */
  relayPort: number;
  /** fauxqs' S3, where the functions' linked buckets are (AWS's own endpoint deployed). */
  s3Endpoint: string;
  extraEnvironment: Record<string, string> | undefined;
  log: (fn: string, line: string) => void;
}

/** Builds every function and gives each a runtime (instances start on their first invocation). */
export async function startFunctions(options: FunctionsOptions): Promise<Map<string, FunctionRuntime>> {
  const { deployment, dataDir } = options;
  const buildRoot = join(dataDir, 'functions');
  const tmpRoot = join(dataDir, 'tmp');
  rmSync(tmpRoot, { recursive: true, force: true });
  mkdirSync(tmpRoot, { recursive: true, mode: 0o755 });
  const built = await Promise.all(
    deployment.functions.map(async (fn: FunctionSpec) => ({
      fn,
      dir: await buildFunction(fn, options.root, join(buildRoot, fn.name), options.knobs.SIM_BUILD_CACHE),
    })),
  );
  const runtimes = new Map<string, FunctionRuntime>();
  for (const { fn, dir } of built) {
    runtimes.set(
      fn.name,
      new FunctionRuntime({
        name: fn.name,
        handler: fn.handler,
        codeDir: dir,
        bootstrap: BOOTSTRAP,
        environment: functionEnvironment(fn, dir, options),
        timeoutMs: fn.timeoutS * 1000,
        idleMs: options.knobs.SIM_INSTANCE_IDLE_S * 1000,
        tmpRoot,
        execPath: options.node.path,
        log: options.log,
      }),
    );
  }
  return runtimes;
}

/** Lambda's variables, the config's, and SST's encrypted links (written beside the code, then read-only). */
function functionEnvironment(
  fn: FunctionSpec,
  dir: string,
  options: FunctionsOptions,
): Record<string, string> {
  const { knobs, stage } = options;
  const app = { name: 'genledger', stage };
  const links = Object.fromEntries(fn.links.map((l) => [l, options.linkValue(l)]));
  const encrypted = encryptLinks({ ...links, App: app });
  writeFileSync(join(dir, 'resource.enc'), encrypted.data);
  makeReadOnly(dir);
  return {
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
    DB_NEON_WS_PROXY: `127.0.0.1:${options.relayPort}/v1?address={host}:{port}`,
    ...(fn.links.some((l) => options.deployment.buckets.includes(l))
      ? { OUTPUT_S3_ENDPOINT: options.s3Endpoint }
      : {}),
    ...(knobs.GENERATOR_URL ? { GENERATOR_URL: knobs.GENERATOR_URL } : {}),
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: knobs.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    // A function told the redrive count (the DLQ handler) hears the overridden one.
    ...(knobs.QUEUE_MAX_RECEIVE_COUNT !== undefined && 'QUEUE_MAX_RECEIVE_COUNT' in fn.environment
      ? { QUEUE_MAX_RECEIVE_COUNT: String(knobs.QUEUE_MAX_RECEIVE_COUNT) }
      : {}),
    ...options.extraEnvironment,
  };
}
