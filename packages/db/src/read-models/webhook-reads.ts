import { DELIVERY_STATUSES, type WebhookDelivery } from '@genledger/core/contracts/webhooks';
import {
  type DeliveryDetail,
  type EndpointOverview,
  RECENT_DELIVERIES,
  type WebhookConsoleReads,
} from '@genledger/core/ports/webhook-console-reads';
import { type SQL, sql } from 'drizzle-orm';
import { toNumber } from '../executor.ts';
import { columnTables } from '../schema/tables.ts';
import { rowDecoder } from '../table-rows.ts';
import type { ReadScope } from './read-scope.ts';

/** A delivery page lists at most this many attempts, the newest. */
const ATTEMPT_LIMIT = 100;

const decodeEndpoint = rowDecoder(() => columnTables().webhookEndpoints);
const decodeDelivery = rowDecoder(() => columnTables().webhookDeliveries);
const decodeAttempt = rowDecoder(() => columnTables().webhookDeliveryAttempts);

const iso = (d: Date | null) => d?.toISOString() ?? null;

function toDelivery(raw: Record<string, unknown>): WebhookDelivery {
  const d = decodeDelivery(raw);
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventType: d.eventType,
    generationId: d.generationId,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastLatencyMs: d.lastLatencyMs,
    lastError: d.lastError,
    lastResponse: d.lastResponse,
    createdAt: d.createdAt.toISOString(),
    lastAttemptAt: iso(d.lastAttemptAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    deliveredAt: iso(d.deliveredAt),
  };
}

function toEndpoint(raw: Record<string, unknown>): EndpointOverview {
  const e = decodeEndpoint(raw);
  const counts = (raw.recent ?? {}) as Record<string, unknown>;
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    apiKeyId: e.apiKeyId,
    enabled: e.disabledAt === null,
    disabledReason: e.disabledReason,
    createdAt: e.createdAt.toISOString(),
    recent: Object.fromEntries(
      DELIVERY_STATUSES.map((s) => [s, toNumber(counts[s] ?? 0)]),
    ) as EndpointOverview['recent'],
    lastDeliveryAt: raw.last_delivery_at ? new Date(String(raw.last_delivery_at)).toISOString() : null,
  };
}

/**
 * The console's webhook reads. An endpoint's figures come from its newest RECENT_DELIVERIES
 * deliveries, read down the (endpoint_id, created_at, id) index: an endpoint with a million
 * deliveries costs what one with a hundred does. Attempts come from the rows migration 0015's
 * trigger keeps per recorded attempt.
 */
export class WebhookReadQueries implements WebhookConsoleReads {
  constructor(private readonly scope: ReadScope) {}

  private endpointsWhere(where: SQL) {
    const t = this.scope.tables;
    return this.scope.rows(sql`
      -- Never the sealed secrets: the console has no use for them.
      select w.id, w.api_key_id, w.url, w.events, w.description, w.disabled_at, w.disabled_reason,
             w.created_at, r.recent, r.last_delivery_at::text as last_delivery_at
      from ${t.webhookEndpoints} w
      left join lateral (
        select jsonb_object_agg(status, n) as recent, max(created_at) as last_delivery_at
        from (
          select d.status, count(*) as n, max(d.created_at) as created_at
          from (select status, created_at from ${t.webhookDeliveries}
                where endpoint_id = w.id order by created_at desc, id desc limit ${RECENT_DELIVERIES}) d
          group by d.status
        ) s
      ) r on true
      where ${where}
      order by w.created_at, w.id`);
  }

  async webhookEndpoints(): Promise<EndpointOverview[]> {
    return (await this.endpointsWhere(sql`true`)).map(toEndpoint);
  }

  async endpointDeliveries(endpointId: string, limit: number) {
    const [endpoint] = await this.endpointsWhere(sql`w.id = ${endpointId}`);
    if (!endpoint) return undefined;
    const t = this.scope.tables;
    const rows = await this.scope.rows(sql`
      select * from ${t.webhookDeliveries} where endpoint_id = ${endpointId}
      order by created_at desc, id desc limit ${limit}`);
    return { endpoint: toEndpoint(endpoint), deliveries: rows.map(toDelivery) };
  }

  async webhookDelivery(id: string): Promise<DeliveryDetail | undefined> {
    const t = this.scope.tables;
    const [row] = await this.scope.rows(sql`
      select d.*, coalesce(w.url, g.webhook_url) as target_url
      from ${t.webhookDeliveries} d
      left join ${t.webhookEndpoints} w on w.id = d.endpoint_id
      left join ${t.generations} g on d.endpoint_id is null and g.id = d.generation_id
      where d.id = ${id}`);
    if (!row) return undefined;
    const attempts = await this.scope.rows(sql`
      select * from (
        select * from ${t.webhookDeliveryAttempts} where delivery_id = ${id} order by id desc limit ${ATTEMPT_LIMIT}
      ) a order by id`);
    return {
      delivery: toDelivery(row),
      url: (row.target_url as string | null) ?? null,
      attempts: attempts.map((raw) => {
        const a = decodeAttempt(raw);
        return {
          attempt: a.attempt,
          status: a.status,
          statusCode: a.statusCode,
          latencyMs: a.latencyMs,
          error: a.error,
          response: a.response,
          attemptedAt: a.attemptedAt.toISOString(),
        };
      }),
    };
  }
}
