import { createHmac } from 'node:crypto';
import type { ConsoleDeps } from '@genledger/api/console/deps';
import { CursorCodec } from '@genledger/core/cursor-codec';
import type { AppDeps } from '@genledger/api/deps';
import type { RuntimeChecks } from '@genledger/core/ports/health';
import type { Logger } from '@genledger/core/ports/logger';
import type { Queue } from '@genledger/core/ports/queue';
import type { Database } from '@genledger/db/connect';
import { checkHealth } from '@genledger/db/health';
import { isDatabaseUnavailable } from '@genledger/db/pg-errors';
import { loggedMetrics, type MetricsSink } from './emf-metrics.ts';
import { meteredRetryBatches } from './metered.ts';
import { storesOf } from './stores.ts';

export interface HttpDepsOptions {
  queue: Queue;
  logger: Logger;
  cursorSecret: string;
  /** Where retry-batch metric lines go: EMF on stdout in Lambda; default: the logger, at debug. */
  metrics?: MetricsSink;
  /** Checks the console's overview shows beside the database's (the local queue and generator). */
  checks?: RuntimeChecks;
  /** Serve the operator console at /console (default true). */
  console?: boolean;
}

/**
 * The HTTP app's dependencies over one open database, for Lambda, `npm start` and the sim alike:
 * the stores behind core's ports, retry batches metered, and the console mounted at /console
 * (loaded on its first request).
 */
export function httpDeps(database: Database, options: HttpDepsOptions): AppDeps {
  const stores = storesOf(database);
  const deps: AppDeps = {
    health: () => checkHealth(database),
    isUnavailable: isDatabaseUnavailable,
    apiKeys: stores.apiKeys,
    generations: stores.generations,
    queries: stores.generationReads,
    events: stores.events,
    settings: stores.settings,
    failedMessages: stores.failedMessages,
    retryBatches: meteredRetryBatches(stores.retryBatches, options.metrics ?? loggedMetrics(options.logger)),
    queue: options.queue,
    logger: options.logger,
    cursors: new CursorCodec(options.cursorSecret),
  };
  if (options.console === false) return deps;
  const consoleDeps: ConsoleDeps = {
    ...deps,
    console: {
      database,
      sessionSecret: consoleSessionSecret(options.cursorSecret),
      ...(options.checks ? { checks: options.checks } : {}),
    },
  };
  return {
    ...deps,
    mounts: {
      '/console': () => import('@genledger/api/console').then((m) => m.createConsole(consoleDeps)),
    },
  };
}

/**
 * The console's signing key, derived from the cursor secret (CURSOR_SECRET, or what is derived
 * from DATABASE_URL): every instance of a deployment agrees on it with no extra secret to manage,
 * and a session cookie can never be replayed as a cursor or the other way round.
 */
export const consoleSessionSecret = (cursorSecret: string) =>
  createHmac('sha256', cursorSecret).update('genledger-console-session').digest('hex');
