import type { Logger } from '@genledger/core/ports/logger';
import type { Queue } from '@genledger/core/ports/queue';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationQueries } from '@genledger/db/generation-queries';
import { GenerationStore } from '@genledger/db/generation-store';
import { checkHealth, type HealthReport } from '@genledger/db/health';
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
  };
}
