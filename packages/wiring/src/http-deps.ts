import type { AppDeps } from '@genledger/api/deps';
import type { ConsoleDeps } from '@genledger/console';
import { CursorCodec } from '@genledger/core/cursor-codec';
import type { BackendHealthProbe } from '@genledger/core/ports/generator-health';
import type { RuntimeChecks } from '@genledger/core/ports/health';
import type { Logger } from '@genledger/core/ports/logger';
import type { OutputStore } from '@genledger/core/ports/output-store';
import type { Queue } from '@genledger/core/ports/queue';
import type { WebhookQueue } from '@genledger/core/ports/webhooks';
import { acceptCallback } from '@genledger/core/use-cases/backend/accept-callback';
import type { BackendAttemptDeps } from '@genledger/core/use-cases/backend/settle-outcome';
import { stopAtBackend } from '@genledger/core/use-cases/backend/stop-at-backend';
import type { Database } from '@genledger/db/connect';
import { checkHealth } from '@genledger/db/health';
import { isDatabaseUnavailable, isLockTimeout } from '@genledger/db/pg-errors';
import { derivedKey } from './derived-key.ts';
import { loggedMetrics, type MetricsSink } from './emf-metrics.ts';
import { meteredRetryBatches } from './metered.ts';
import { announcedRetryBatches, announcer } from './operational-webhooks.ts';
import { outputStoreOf } from './outputs.ts';
import { settingReader } from './setting-reader.ts';
import { type Stores, storesOf } from './stores.ts';
import { webhookApiDeps } from './webhook-api.ts';

export interface HttpDepsOptions {
  queue: Queue;
  logger: Logger;
  cursorSecret: string;
  /** Where retry-batch metric lines go: EMF on stdout in Lambda; default: the logger, at debug. */
  metrics?: MetricsSink;
  /** Checks the console's overview shows beside the database's (the local queue). */
  checks?: RuntimeChecks;
  /** The generator backend's own health endpoint, for the console's generator health (optional). */
  backendHealth?: BackendHealthProbe;
  /** Where outputs are kept (links signed, the console reads); default: process.env's store. */
  outputs?: OutputStore;
  /** Serve the operator console at /console (default true). */
  console?: boolean;
  /** How long a health result gates requests before it is probed again (tests shorten it). */
  healthTtlMs?: AppDeps['healthTtlMs'];
  /** An asynchronous backend's attempts, whose callbacks the API settles. */
  backend?: BackendAttemptDeps | undefined;
  /** WEBHOOK_* settings (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where test pings and retried webhook deliveries go (deployed: the linked WebhookQueue). */
  webhookQueue?: WebhookQueue;
  /** `npm start` and the sim: private webhook targets allowed unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=false. */
  allowPrivateWebhooks?: boolean;
}

/**
 * The HTTP app's dependencies over one open database, for Lambda, `npm start` and the sim alike:
 * the stores behind core's ports, retry batches metered, and the console mounted at /console
 * (loaded on its first request).
 */
export function httpDeps(database: Database, options: HttpDepsOptions): AppDeps {
  const stores = storesOf(database);
  const outputs = options.outputs ?? outputStoreOf(process.env);
  const deps: AppDeps = {
    health: () => checkHealth(database),
    isUnavailable: isDatabaseUnavailable,
    isLockTimeout,
    apiKeys: stores.apiKeys,
    generations: stores.generations,
    queries: stores.generationReads,
    events: stores.events,
    settings: stores.settings,
    defaultModel: settingReader(stores.settings, 'generation.defaultModel'),
    failedMessages: stores.failedMessages,
    retryBatches: announcedRetryBatches(
      meteredRetryBatches(stores.retryBatches, options.metrics ?? loggedMetrics(options.logger)),
      announcer(database, options.webhookQueue, options.logger),
    ),
    queue: options.queue,
    logger: options.logger,
    cursors: new CursorCodec(options.cursorSecret),
    outputs,
    keyConcurrency: keyConcurrencyOf(database),
    webhooks: webhookApiDeps(database, options.env ?? process.env, {
      queue: options.webhookQueue,
      allowPrivateByDefault: options.allowPrivateWebhooks ?? false,
    }),
    ...(options.healthTtlMs ? { healthTtlMs: options.healthTtlMs } : {}),
    ...(options.backend ? backendRoutesOf(options.backend) : {}),
  };
  if (options.console === false) return deps;
  const consoleDeps = consoleDepsOf(deps, stores, { ...options, outputs });
  return {
    ...deps,
    mounts: {
      '/console': () => import('@genledger/console').then((m) => m.createConsole(consoleDeps)),
    },
    home: '/console/',
  };
}

const optionalHealth = (probe: BackendHealthProbe | undefined) => (probe ? { backendHealth: probe } : {});

/** The backend's own health endpoint: the one given, or the asynchronous backend's (Cog's /health-check). */
function backendHealthOf(options: HttpDepsOptions): BackendHealthProbe | undefined {
  if (options.backendHealth) return options.backendHealth;
  const backend = options.backend?.backend;
  return backend?.health ? () => backend.health!() : undefined;
}

/** What the API does with an asynchronous backend: settle its callbacks, forward cancels. */
const backendRoutesOf = (backend: BackendAttemptDeps): Pick<AppDeps, 'callbacks' | 'stopAtBackend'> => ({
  callbacks: (token, callback) => acceptCallback(backend, token, callback),
  stopAtBackend: (cancelled) => stopAtBackend(backend, cancelled),
});

/**
 * One of a key's requests checking its key at a time per process (each leaves the lane when that
 * statement returns); the others wait in its lane without a connection. Every request updates its
 * key's row, so a key's requests pass that row one at a time anyway; a second one in the database
 * would only wait on the row, and when the row is locked it waits twice: for the first waiter's
 * tuple lock until that one gives up, then for the holder's transaction, each wait bounded by
 * `lock_timeout` on its own (measured: 1.85 s at a 1 s timeout, and 2.2× the timeout in the
 * bench). With one at a time, the locked key's waiters get their 503 together when the one ahead
 * gives up, a single lock timeout after it got its connection. The wait in the lane is bounded
 * only by the statement timeout, so a key's own burst on a slow machine queues rather than being
 * refused as if its row were locked.
 */
function keyConcurrencyOf(database: Database): NonNullable<AppDeps['keyConcurrency']> {
  return { perKey: 1, waitMs: database.config.pool.statementTimeoutMs };
}

/** The console's ports: the API's own (one metered retry-batch store, one cursor codec) and its read model. */
function consoleDepsOf(
  deps: AppDeps,
  stores: Stores,
  options: HttpDepsOptions & { outputs: OutputStore },
): ConsoleDeps {
  return {
    health: deps.health,
    ...(options.checks ? { checks: options.checks } : {}),
    ...optionalHealth(backendHealthOf(options)),
    isUnavailable: deps.isUnavailable,
    apiKeys: deps.apiKeys,
    generations: deps.generations,
    generationReads: deps.queries,
    events: deps.events,
    settings: deps.settings,
    failedMessages: deps.failedMessages,
    retryBatches: deps.retryBatches,
    queue: deps.queue,
    readModel: stores.consoleReads,
    ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
    outputs: options.outputs,
    logger: deps.logger,
    cursors: deps.cursors,
    sessionSecret: consoleSessionSecret(options.cursorSecret),
  };
}

/** The console's signing key (derived-key.ts). */
export const consoleSessionSecret = (cursorSecret: string) =>
  derivedKey(cursorSecret, 'console-session').toString('hex');
