import { createHmac } from 'node:crypto';
import type { Logger } from '@genledger/core/ports/logger';
import type { Queue } from '@genledger/core/ports/queue';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationQueries } from '@genledger/db/generation-queries';
import { GenerationStore } from '@genledger/db/generation-store';
import { checkHealth, type HealthCheck, type HealthReport } from '@genledger/db/health';
import { RetryBatchStore } from '@genledger/db/retry-batch-store';
import { SettingsStore } from '@genledger/db/settings-store';
import { CursorCodec } from './cursor.ts';

/** Everything the HTTP app talks to: stores and ports, built once per process or container. */
export interface AppDeps {
  health(): Promise<HealthReport>;
  apiKeys: Pick<ApiKeyStore, 'authenticate' | 'gate' | 'create' | 'list' | 'revoke'>;
  generations: Pick<GenerationStore, 'create' | 'createAs' | 'markNotEnqueued' | 'get' | 'getAs' | 'cancel'>;
  queries: Pick<GenerationQueries, 'list' | 'runs'>;
  events: Pick<EventStore, 'readStream' | 'readAfter' | 'positionOf'>;
  settings: Pick<SettingsStore, 'list' | 'set' | 'get'>;
  failedMessages: Pick<FailedMessageStore, 'list' | 'get' | 'groups' | 'changeStatus'>;
  retryBatches: Pick<
    RetryBatchStore,
    'list' | 'get' | 'nextUnsent' | 'recordProgress' | 'complete' | 'openBatches'
  >;
  queue: Queue;
  logger: Logger;
  cursors: CursorCodec;
  /**
   * What the operator console (`/console`) needs beyond the stores: the database for its
   * read-only overview queries, and the key its session cookies and CSRF tokens are signed with.
   * Absent: the console answers 404.
   */
  console?: {
    database: Pick<Database, 'db' | 'schema'>;
    sessionSecret: string;
    /** Checks the overview shows beside the database's (queue, generator backend), when the runtime has them. */
    checks?: () => Promise<Record<string, HealthCheck>>;
  };
  /** How long a health result gates requests before it is checked again. */
  healthTtlMs?: { healthy: number; unhealthy: number };
}

export interface DepsOptions {
  queue: Queue;
  logger: Logger;
  cursorSecret: string;
}

/** The production wiring over one open database. */
export function depsFromDatabase(database: Database, options: DepsOptions): AppDeps {
  const events = new EventStore(database);
  return {
    health: () => checkHealth(database),
    apiKeys: new ApiKeyStore(database, events),
    generations: new GenerationStore(database, events),
    queries: new GenerationQueries(database),
    events,
    settings: new SettingsStore(database, events),
    failedMessages: new FailedMessageStore(database, events),
    retryBatches: new RetryBatchStore(database),
    queue: options.queue,
    logger: options.logger,
    cursors: new CursorCodec(options.cursorSecret),
    console: { database, sessionSecret: consoleSessionSecret(options.cursorSecret) },
  };
}

/**
 * The console's signing key, derived from the cursor secret (CURSOR_SECRET, or what is derived
 * from DATABASE_URL): every instance of a deployment agrees on it with no extra secret to manage,
 * and a session cookie can never be replayed as a cursor or the other way round.
 */
export const consoleSessionSecret = (cursorSecret: string) =>
  createHmac('sha256', cursorSecret).update('genledger-console-session').digest('hex');
