import type { CursorCodec } from '@genledger/core/cursor-codec';
import type { ApiKeys } from '@genledger/core/ports/api-keys';
import type { ConsoleReadModel } from '@genledger/core/ports/console-read-model';
import type { EventReader } from '@genledger/core/ports/event-reader';
import type { FailedMessages, RetryBatches } from '@genledger/core/ports/failed-messages';
import type { GenerationReads, Generations } from '@genledger/core/ports/generations';
import type { BackendHealthProbe } from '@genledger/core/ports/generator-health';
import type { HealthProbe, RuntimeChecks } from '@genledger/core/ports/health';
import type { Logger } from '@genledger/core/ports/logger';
import type { OutputStore } from '@genledger/core/ports/output-store';
import type { Queue } from '@genledger/core/ports/queue';
import type { Settings } from '@genledger/core/ports/settings';
import type { WebhookDeliveries, WebhookDeliveryLog, WebhookQueue } from '@genledger/core/ports/webhooks';

/**
 * What the operator console talks to, typed by core's ports and built by the composition root
 * (@genledger/wiring): the ports the JSON API uses for every change, the console's own read model,
 * where generator outputs are kept, and the key its sessions are signed with.
 */
export interface ConsoleDeps {
  health: HealthProbe;
  /** Checks the overview shows beside the database's (the local queue), when the runtime has them. */
  checks?: RuntimeChecks;
  /** The generator backend's own health endpoint (Cog's `GET /health-check`), where it has one. */
  backendHealth?: BackendHealthProbe;
  /** Whether an error means the database is away (503 + Retry-After) rather than a bug. */
  isUnavailable(error: unknown): boolean;
  apiKeys: ApiKeys;
  generations: Generations;
  generationReads: GenerationReads;
  events: EventReader;
  settings: Settings;
  failedMessages: FailedMessages;
  retryBatches: RetryBatches;
  queue: Queue;
  readModel: ConsoleReadModel;
  outputs: OutputStore;
  logger: Logger;
  /** Redelivery from the webhook pages; without it their redeliver button is off. */
  webhooks?: {
    log: Pick<WebhookDeliveryLog, 'redeliver'>;
    deliveries: WebhookDeliveries;
    /** Where a redelivery goes at once; without it, maintenance sends it. */
    queue?: WebhookQueue;
  };
  /** Signs the list pages' "next page" links. */
  cursors: CursorCodec;
  /** Signs session cookies and CSRF tokens; never the cursors' key. */
  sessionSecret: string;
}
