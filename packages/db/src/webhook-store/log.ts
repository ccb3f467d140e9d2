import type { DeliveryStatus, WebhookDelivery } from '@genledger/core/contracts/webhooks';
import type { Owner } from '@genledger/core/ports/principal';
import type { WebhookDeliveryLog } from '@genledger/core/ports/webhooks';
import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../connect.ts';
import { rowsOf, toDate } from '../executor.ts';

interface LogRow {
  id: string;
  endpoint_id: string | null;
  event_type: string;
  generation_id: string | null;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  last_response: string | null;
  created_at: unknown;
  created_text: string;
  last_attempt_at: unknown;
  next_attempt_at: unknown;
  delivered_at: unknown;
}

const isoOrNull = (v: unknown) => (v === null || v === undefined ? null : toDate(v).toISOString());

const toDelivery = (r: LogRow): WebhookDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  eventType: r.event_type,
  generationId: r.generation_id,
  status: r.status,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastLatencyMs: r.last_latency_ms,
  lastError: r.last_error,
  lastResponse: r.last_response,
  createdAt: toDate(r.created_at).toISOString(),
  lastAttemptAt: isoOrNull(r.last_attempt_at),
  nextAttemptAt: isoOrNull(r.next_attempt_at),
  deliveredAt: isoOrNull(r.delivered_at),
});

/** The delivery log (keyset paged by created_at, id; newest first) and redelivery. */
export class WebhookLogStore implements WebhookDeliveryLog {
  constructor(private readonly database: Pick<Database, 'db' | 'tables'>) {}

  private ownerOf(owner: Owner, endpoint: SQL): SQL {
    const w = this.database.tables.webhookEndpoints;
    return owner.admin
      ? sql`exists (select 1 from ${w} w where w.id = ${endpoint})`
      : sql`exists (select 1 from ${w} w where w.id = ${endpoint} and w.api_key_id = ${owner.apiKeyId})`;
  }

  async page(
    endpointId: string,
    owner: Owner,
    options: { limit: number; after?: { value: string; id: string } },
  ) {
    const d = this.database.tables.webhookDeliveries;
    const after = options.after
      ? sql`and (d.created_at, d.id) < (${options.after.value}::timestamptz, ${options.after.id}::uuid)`
      : sql``;
    const rows = await rowsOf<LogRow & { visible: boolean }>(
      this.database.db.execute(sql`
        select v.visible, d.*, d.created_at::text as created_text
        from (select ${this.ownerOf(owner, sql`${endpointId}::uuid`)} as visible) v
        left join lateral (
          select * from ${d} d where v.visible and d.endpoint_id = ${endpointId} ${after}
          order by d.created_at desc, d.id desc limit ${options.limit + 1}
        ) d on true`),
    );
    if (!rows[0]?.visible) return undefined;
    const items = rows.filter((r) => r.id !== null);
    const more = items.length > options.limit;
    const page = items.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map(toDelivery),
      next: more && last ? { value: last.created_text, id: last.id } : null,
    };
  }

  async redeliver(id: string, owner: Owner): Promise<boolean> {
    const d = this.database.tables.webhookDeliveries;
    const g = this.database.tables.generations;
    const own = owner.admin
      ? sql`true`
      : sql`(${this.ownerOf(owner, sql`d.endpoint_id`)}
             or (d.endpoint_id is null and exists (select 1 from ${g} g where g.id = d.generation_id and g.api_key_id = ${owner.apiKeyId})))`;
    const rows = await rowsOf<{ id: string }>(
      this.database.db.execute(sql`
        update ${d} d set status = 'pending', enqueued_at = null, next_attempt_at = null
        where d.id = ${id} and ${own}
        returning d.id`),
    );
    return rows.length > 0;
  }
}
