import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationQueries } from '@genledger/db/generation-queries';
import { GenerationStore } from '@genledger/db/generation-store';
import { LocalQueueStore } from '@genledger/db/local-queue-store';
import { ConsoleReads } from '@genledger/db/read-models/console-read-model';
import { RetryBatchStore } from '@genledger/db/retry-batch-store';
import { SettingsStore } from '@genledger/db/settings-store';
import { WebhookDeliveryStore } from '@genledger/db/webhook-store/deliveries';
import { WebhookEndpointStore } from '@genledger/db/webhook-store/endpoints';
import { WebhookLogStore } from '@genledger/db/webhook-store/log';

/**
 * Every store over one database, the only place they are constructed. Each is made on first use
 * (a worker never builds the API's stores, which keeps cold starts to what a function touches) and
 * shared by whoever asks next, so all writers of a database go through one event store.
 */
export class Stores {
  readonly #made = new Map<string, unknown>();

  constructor(readonly database: Database) {}

  #once<T>(name: string, make: () => T): T {
    if (!this.#made.has(name)) this.#made.set(name, make());
    return this.#made.get(name) as T;
  }

  get events() {
    return this.#once('events', () => new EventStore(this.database));
  }
  get apiKeys() {
    return this.#once('apiKeys', () => new ApiKeyStore(this.database, this.events));
  }
  get generations() {
    return this.#once('generations', () => new GenerationStore(this.database, this.events));
  }
  get generationReads() {
    return this.#once('generationReads', () => new GenerationQueries(this.database));
  }
  get lifecycle() {
    return this.#once('lifecycle', () => new GenerationLifecycle(this.database, this.events));
  }
  get settings() {
    return this.#once('settings', () => new SettingsStore(this.database, this.events));
  }
  get failedMessages() {
    return this.#once('failedMessages', () => new FailedMessageStore(this.database, this.events));
  }
  get retryBatches() {
    return this.#once('retryBatches', () => new RetryBatchStore(this.database, this.events));
  }
  /** The operator console's read model; its event reads go through `events`, upcast alike. */
  get consoleReads() {
    return this.#once('consoleReads', () => new ConsoleReads(this.database, this.events));
  }
  get webhookEndpoints() {
    return this.#once('webhookEndpoints', () => new WebhookEndpointStore(this.database, this.events));
  }
  get webhookLog() {
    return this.#once('webhookLog', () => new WebhookLogStore(this.database));
  }
  get webhookDeliveries() {
    return this.#once('webhookDeliveries', () => new WebhookDeliveryStore(this.database, this.events));
  }
  /** The durable local queue's messages (`npm start` only: SQS holds them when deployed). */
  get localQueue() {
    return this.#once('localQueue', () => new LocalQueueStore(this.database));
  }
}

const byDatabase = new WeakMap<Database, Stores>();

/** The stores of one open database, made once per database. */
export function storesOf(database: Database): Stores {
  const found = byDatabase.get(database);
  if (found) return found;
  const stores = new Stores(database);
  byDatabase.set(database, stores);
  return stores;
}
