import type { GenerationRecord } from '@genledger/core/contracts/generation';
import type { CursorCodec } from '@genledger/core/cursor-codec';
import type { ApiKeys } from '@genledger/core/ports/api-keys';
import type { EventReader } from '@genledger/core/ports/event-reader';
import type { FailedMessages, RetryBatches } from '@genledger/core/ports/failed-messages';
import type { GenerationReads, Generations } from '@genledger/core/ports/generations';
import type { HealthProbe } from '@genledger/core/ports/health';
import type { Logger } from '@genledger/core/ports/logger';
import type { OutputStore } from '@genledger/core/ports/output-store';
import type { Queue } from '@genledger/core/ports/queue';
import type { Settings } from '@genledger/core/ports/settings';
import type {
  WebhookDeliveries,
  WebhookDeliveryLog,
  WebhookEndpoints,
  WebhookQueue,
  WebhookUrlCheck,
} from '@genledger/core/ports/webhooks';
import type { DefaultModel } from '@genledger/core/use-cases/default-model';
import type { SecretBox } from '@genledger/core/webhooks/secret-box';
import type { KeyConcurrency } from './middleware/key-lanes.ts';
import type { AcceptCallback } from './routes/callbacks.ts';

/** A web app served beside the JSON API under a path of its own. */
export interface MountedApp {
  fetch(req: Request): Response | Promise<Response>;
}

/**
 * Everything the HTTP app talks to, typed by core's ports and built by the composition root
 * (@genledger/wiring) once per process or container.
 */
export interface AppDeps {
  health: HealthProbe;
  /** Whether an error means the database is away (503 + Retry-After) rather than a bug. */
  isUnavailable(error: unknown): boolean;
  /**
   * Whether such an error is a lock held too long on one row, which says nothing of the database's
   * health: it answers 503 without making the next request wait for a fresh health probe.
   */
  isLockTimeout?(error: unknown): boolean;
  apiKeys: ApiKeys;
  generations: Generations;
  queries: GenerationReads;
  events: EventReader;
  settings: Settings;
  /** The model of a request that names none (the `generation.defaultModel` setting, cached). */
  defaultModel?: DefaultModel;
  failedMessages: FailedMessages;
  retryBatches: RetryBatches;
  queue: Queue;
  logger: Logger;
  cursors: CursorCodec;
  /** Signs the links a generation's outputs are answered with. */
  outputs: Pick<OutputStore, 'signedUrl'>;
  /** Webhook endpoints and the default secret; without it their routes answer 503. */
  webhooks?: {
    endpoints: WebhookEndpoints;
    deliveries: WebhookDeliveries;
    log: WebhookDeliveryLog;
    checkUrl: WebhookUrlCheck;
    secrets: SecretBox;
    /** Where a test ping and a retried dead-lettered delivery go; without it, maintenance sends them. */
    queue?: WebhookQueue;
  };
  /**
   * Apps mounted beside the API by path prefix, each loaded on its first request so that cold
   * starts serving the JSON API never load them.
   */
  mounts?: Record<string, () => Promise<MountedApp>>;
  /** Where `GET /` sends a browser (a mounted app's home); without it `/` is not found. */
  home?: string;
  /** Settles an asynchronous backend's callback; undefined when the backend is synchronous. */
  callbacks?: AcceptCallback;
  /** Asks an asynchronous backend to stop a cancelled generation's job. */
  stopAtBackend?: (cancelled: GenerationRecord) => Promise<unknown>;
  /**
   * How many of one key's requests use the database at once in this process, the rest waiting
   * without a connection (middleware/key-lanes.ts); absent: no limit.
   */
  keyConcurrency?: KeyConcurrency;
  /** How long a health result gates requests before it is checked again. */
  healthTtlMs?: { healthy: number; unhealthy: number };
}
