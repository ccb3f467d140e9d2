import type { FailedMessageOperation } from '@genledger/core/contracts/failed-messages';
import type {
  ConsoleReadModel,
  EventLogFilter,
  FailedFilter,
  Selection,
} from '@genledger/core/ports/console-read-model';
import type { GenerationFilter } from '@genledger/core/ports/generations';
import type { Owner } from '@genledger/core/ports/principal';
import type { Database } from '../connect.ts';
import type { EventStore } from '../event-store.ts';
import { ConsoleKeyQueries } from './console-keys.ts';
import { EventLogQueries } from './event-log.ts';
import { FailedSelectionQueries } from './failed-selection-reads.ts';
import { IncidentQueries } from './incident.ts';
import { OverviewQueries } from './overview.ts';
import { ReadScope } from './read-scope.ts';
import { RetryReceiptQueries } from './retry-receipt.ts';
import { WebhookReadQueries } from './webhook-reads.ts';

/**
 * The console's read model over one database: each area's queries in a file of its own, events
 * read through the given event store (so its upcasters apply).
 */
export class ConsoleReads implements ConsoleReadModel {
  readonly #keys: ConsoleKeyQueries;
  readonly #overview: OverviewQueries;
  readonly #incident: IncidentQueries;
  readonly #failed: FailedSelectionQueries;
  readonly #receipts: RetryReceiptQueries;
  readonly #eventLog: EventLogQueries;
  readonly #webhooks: WebhookReadQueries;

  constructor(database: Pick<Database, 'db' | 'schema'>, events: EventStore) {
    const scope = new ReadScope(database);
    this.#keys = new ConsoleKeyQueries(scope);
    this.#overview = new OverviewQueries(scope);
    this.#incident = new IncidentQueries(scope);
    this.#failed = new FailedSelectionQueries(scope);
    this.#receipts = new RetryReceiptQueries(scope, events);
    this.#eventLog = new EventLogQueries(scope, events);
    this.#webhooks = new WebhookReadQueries(scope);
  }

  activeKey(id: string) {
    return this.#keys.activeKey(id);
  }
  keyNames() {
    return this.#keys.keyNames();
  }
  generationCounts(owner: Owner, cap?: number) {
    return this.#overview.generationCounts(owner, cap);
  }
  countGenerations(owner: Owner, filter: GenerationFilter, cap?: number) {
    return this.#overview.countGenerations(owner, filter, cap);
  }
  failedCounts(cap?: number) {
    return this.#overview.failedCounts(cap);
  }
  attemptOutcomes(minutes: number) {
    return this.#overview.attemptOutcomes(minutes);
  }
  dailyOutcomes(fromDay: string) {
    return this.#incident.dailyOutcomes(fromDay);
  }
  incidentWindow() {
    return this.#incident.incidentWindow();
  }
  latency() {
    return this.#incident.latency();
  }
  groupTrends(fromDay: string) {
    return this.#failed.groupTrends(fromDay);
  }
  countMatching(filter: FailedFilter, cap?: number) {
    return this.#failed.countMatching(filter, cap);
  }
  eligibleIds(op: FailedMessageOperation, selection: Exclude<Selection, { groupId: string }>, cap?: number) {
    return this.#failed.eligibleIds(op, selection, cap);
  }
  retryPreview(selection: Selection, recentMinutes: number, cap?: number) {
    return this.#failed.retryPreview(selection, recentMinutes, cap);
  }
  groupSamples(groupIds: string[]) {
    return this.#failed.groupSamples(groupIds);
  }
  messageLabels(ids: string[]) {
    return this.#failed.messageLabels(ids);
  }
  failedMessageOfGeneration(generationId: string) {
    return this.#failed.failedMessageOfGeneration(generationId);
  }
  batchMessages(batchId: string, createdAt: string) {
    return this.#receipts.batchMessages(batchId, createdAt);
  }
  recentEvents(filter: EventLogFilter, limit: number, window?: number) {
    return this.#eventLog.recentEvents(filter, limit, window);
  }
  webhookEndpoints() {
    return this.#webhooks.webhookEndpoints();
  }
  endpointDeliveries(endpointId: string, limit: number) {
    return this.#webhooks.endpointDeliveries(endpointId, limit);
  }
  webhookDelivery(id: string) {
    return this.#webhooks.webhookDelivery(id);
  }
}
