import type { AddressInfo } from 'node:net';
import { jsonLogger } from '@genledger/adapters/json-logger';
import { createApp } from '@genledger/api/app';
import { resolveApiConfig } from '@genledger/api/config';
import { generationBody } from '@genledger/api/serialize';
import { parseEnv } from '@genledger/core/config/parse-env';
import type { CallbackTokens } from '@genledger/core/ports/callback-tokens';
import type { Logger } from '@genledger/core/ports/logger';
import type { Queue } from '@genledger/core/ports/queue';
import type { RenderGeneration } from '@genledger/core/ports/webhooks';
import { type Database, openDatabase, openSiblingPool } from '@genledger/db/connect';
import { migrate } from '@genledger/db/migrator';
import { ensureAdminKey } from '@genledger/wiring/admin-key';
import { backendAttemptDeps } from '@genledger/wiring/backend-attempts';
import { callbackTokensOf } from '@genledger/wiring/callback-tokens';
import { httpDeps } from '@genledger/wiring/http-deps';
import { configuredOutputs } from '@genledger/wiring/outputs';
import { configuredQueue } from '@genledger/wiring/queue-selection';
import { serve } from '@hono/node-server';
import * as z from 'zod';
import { localAttemptQueue } from './local-attempt-queue.ts';
import { localWebhookBinding } from './local-webhooks.ts';
import { mayBeOutput, outputRoute } from './output-route.ts';
import { type LocalPipeline, type LocalPipelineOptions, startLocalPipeline } from './pipeline.ts';
import { runtimeChecks } from './runtime-checks.ts';

export interface LocalServerOptions {
  /** Environment to read (PORT, HOST, LOG_LEVEL, ADMIN_API_KEY, CURSOR_SECRET, DATABASE_URL, …). */
  env?: NodeJS.ProcessEnv;
  /** Overrides PORT; 0 picks a free port. */
  port?: number;
  host?: string;
  /** An open database to serve (tests, benches); otherwise opened from env and closed on close(). */
  database?: Database;
  /**
   * Where accepted generations go. Default: QUEUE_URL → SQS; otherwise the local pipeline (local
   * queue + the worker + maintenance), started and stopped with the server.
   */
  queue?: Queue;
  /** Options for the local pipeline when it is used (generator, timeouts, DLQ handler). */
  pipeline?: Omit<LocalPipelineOptions, 'database' | 'env'>;
  logger?: Logger;
  /** How long a health result gates requests before it is probed again (default: 5 s healthy, 1 s not). */
  healthTtlMs?: { healthy: number; unhealthy: number };
}

export interface LocalServer {
  url: string;
  port: number;
  database: Database;
  /** A freshly created admin key (first start only), or the ensured ADMIN_API_KEY. */
  adminKey: { key: string; prefix: string; created: boolean; usable: boolean } | undefined;
  /** The local queue and worker, when no queue was given and QUEUE_URL is unset. */
  pipeline: LocalPipeline | undefined;
  /** Where accepted work goes, for the start-up banner. */
  queueDescription: string;
  /** Where outputs are kept, for the start-up banner. */
  outputsDescription: string;
  /**
   * Stops serving, then the pipeline. With `graceMs`, the batch in hand gets that long to finish;
   * what is unfinished then goes back to the queue and is taken up at the next start.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Maintenance runs one step at a time; two connections cover a step and a health probe. */
const MAINTENANCE_POOL_MAX = 2;

const LocalEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  // How long a stop (SIGTERM, SIGINT) lets the batch in hand finish before handing it back.
  SHUTDOWN_GRACE_S: z.coerce.number().int().min(0).max(900).default(5),
});

export function resolveLocalEnv(env: NodeJS.ProcessEnv) {
  const data = parseEnv(LocalEnv, env);
  return data;
}

/**
 * The local stack: the very app Lambda runs, served by @hono/node-server over an embedded PGlite
 * (or DATABASE_URL), migrated at start-up. Used by `npm start`, the tests and the benches.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const env = options.env ?? process.env;
  const local = resolveLocalEnv(env);
  const config = resolveApiConfig(env);
  const logger = options.logger ?? jsonLogger(config.logLevel, { service: 'genledger-local' });
  const database = options.database ?? (await openDatabase({}, env));
  const owned = options.database === undefined;
  const siblings: Database[] = [];
  try {
    await migrate(database);
    const adminKey: LocalServer['adminKey'] = await ensureAdminKey(database, config.adminApiKey, {
      createIfNone: { source: 'npm start' },
    });

    let listening = '';
    const outputs = configuredOutputs(env, { baseUrl: () => listening });
    // One key for the worker that mints callback tokens and the route that opens them.
    const callbackTokens = callbackTokensOf(config.cursorSecret);
    const { pipeline, queue, queueDescription } = await localQueueOf(options, database, env, {
      siblings,
      callbackTokens,
      publicUrl: () => listening,
      // Webhook bodies are generations as this server answers them: links to this server's outputs.
      render: (g) => generationBody(g, outputs.store),
    });
    const serveOutput = outputs.links ? outputRoute(outputs.store, outputs.links) : undefined;
    const app = createApp(
      httpDeps(database, {
        queue,
        logger,
        cursorSecret: config.cursorSecret,
        checks: runtimeChecks(queueDescription, pipeline),
        outputs: outputs.store,
        healthTtlMs: options.healthTtlMs,
        backend: await backendAttemptDeps(database, env, logger, {
          callbackTokens,
          ...(pipeline ? { attemptQueue: localAttemptQueue(pipeline.main) } : {}),
        }),
        env,
        allowPrivateWebhooks: true,
        ...(pipeline ? { webhookQueue: localWebhookBinding(pipeline.webhooks).queue } : {}),
      }),
    );
    // The JSON API's requests go straight to the app: no URL parsed, no extra await per request.
    const server = await listen(
      serveOutput
        ? (req) => (mayBeOutput(req.url) ? serveOutput(req).then((r) => r ?? app.fetch(req)) : app.fetch(req))
        : app.fetch,
      options.port ?? local.PORT,
      options.host ?? local.HOST,
    );
    const { port } = server.address() as AddressInfo;
    const host = options.host ?? local.HOST;
    let closing: Promise<void> | undefined;
    listening = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return {
      url: listening,
      outputsDescription: outputs.description,
      port,
      database,
      adminKey,
      pipeline,
      queueDescription,
      close: (closeOptions = {}) =>
        (closing ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            // Keep-alive connections would hold close() open; in-flight requests finish first.
            (server as import('node:http').Server).closeIdleConnections?.();
          });
          await pipeline?.stop({ graceMs: closeOptions.graceMs });
          for (const s of siblings) await s.close();
          if (owned) await database.close();
        })()),
    };
  } catch (e) {
    for (const s of siblings) await s.close().catch(() => {});
    if (owned) await database.close().catch(() => {});
    throw e;
  }
}

/**
 * Where accepted generations go: the injected queue, SQS when QUEUE_URL is set, or the local
 * pipeline (worker, maintenance and their queues in this process, each on a pool of its own: a
 * burst of requests or a stuck lock on one side cannot leave the others without a connection).
 */
async function localQueueOf(
  options: LocalServerOptions,
  database: Database,
  env: NodeJS.ProcessEnv,
  context: {
    siblings: Database[];
    publicUrl: () => string;
    callbackTokens: CallbackTokens;
    render: RenderGeneration;
  },
): Promise<{ pipeline: LocalPipeline | undefined; queue: Queue; queueDescription: string }> {
  if (options.queue) return { pipeline: undefined, queue: options.queue, queueDescription: 'injected queue' };
  const configured = configuredQueue(env);
  if (configured)
    return { pipeline: undefined, queue: configured.queue, queueDescription: configured.description };
  const workerDatabase = await openSiblingPool(database, {});
  context.siblings.push(workerDatabase);
  const maintenanceDatabase = await openSiblingPool(database, { max: MAINTENANCE_POOL_MAX });
  context.siblings.push(maintenanceDatabase);
  const pipeline = startLocalPipeline({
    database: workerDatabase,
    maintenanceDatabase,
    env,
    publicUrl: context.publicUrl,
    callbackTokens: context.callbackTokens,
    ...options.pipeline,
    webhooks: {
      ...options.pipeline?.webhooks,
      overrides: { render: context.render, ...options.pipeline?.webhooks?.overrides },
    },
  });
  return {
    pipeline,
    queue: pipeline.queue,
    queueDescription: 'local queue (worker and maintenance in this process)',
  };
}

function listen(fetch: (req: Request) => Response | Promise<Response>, port: number, hostname: string) {
  return new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch, port, hostname }, () => resolve(s));
    s.once('error', reject);
  });
}
