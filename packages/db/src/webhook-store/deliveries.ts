import { streams } from '@genledger/core/contracts/events';
import type { DeliveryStatus } from '@genledger/core/contracts/webhooks';
import type {
  AttemptRecord,
  AutoDisable,
  DeliveryTarget,
  WebhookDeliveries,
} from '@genledger/core/ports/webhooks';
import { sql } from 'drizzle-orm';
import type { Database } from '../connect.ts';
import type { EventStore } from '../event-store.ts';
import { fixedStatement, rowsOf, toDate } from '../executor.ts';
import { textArray, uuidArray } from '../sql-arrays.ts';
import { attemptRecorder } from './attempts.ts';
import { deleteFinishedDeliveries } from './retention.ts';

interface TargetRow {
  id: string;
  endpoint_id: string | null;
  status: DeliveryStatus;
  event_type: string;
  occurred_at: unknown;
  generation_id: string | null;
  subject_id: string | null;
  url: string | null;
  active: boolean;
  secret: string | null;
  previous_secret: string | null;
  api_key_id: string | null;
}

const targetOf = (r: TargetRow): DeliveryTarget => ({
  id: r.id,
  endpointId: r.endpoint_id,
  status: r.status,
  eventType: r.event_type,
  occurredAt: toDate(r.occurred_at),
  generationId: r.generation_id,
  subjectId: r.subject_id,
  url: r.url,
  active: r.active,
  sealedSecrets: [r.secret, r.previous_secret].filter((s): s is string => !!s),
  apiKeyId: r.api_key_id,
});

/** The delivery rows the trigger of migrations 0014 and 0015 writes, and what each attempt made of them. */
export class WebhookDeliveryStore implements WebhookDeliveries {
  constructor(
    private readonly database: Pick<Database, 'db' | 'tables'>,
    private readonly events: EventStore,
  ) {}

  async unsent(filter: {
    generationIds?: readonly string[];
    subjectIds?: readonly string[];
    ids?: readonly string[];
    createdBefore?: Date;
    limit: number;
  }) {
    const d = this.database.tables.webhookDeliveries;
    const conditions = [sql`enqueued_at is null`];
    if (filter.generationIds) conditions.push(sql`generation_id = any(${uuidArray(filter.generationIds)})`);
    if (filter.subjectIds) conditions.push(sql`subject_id = any(${textArray(filter.subjectIds)})`);
    if (filter.ids) conditions.push(sql`id = any(${uuidArray(filter.ids)})`);
    if (filter.createdBefore)
      conditions.push(sql`created_at < ${filter.createdBefore.toISOString()}::timestamptz`);
    const rows = await rowsOf<{ id: string }>(
      this.database.db.execute(sql`
        select id from ${d} where ${sql.join(conditions, sql` and `)}
        order by created_at, id limit ${filter.limit}`),
    );
    return rows.map((r) => r.id);
  }

  async markEnqueued(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const d = this.database.tables.webhookDeliveries;
    await this.database.db.execute(
      sql`update ${d} set enqueued_at = now() where id = any(${uuidArray(ids)}) and enqueued_at is null`,
    );
  }

  /**
   * The targets of a batch's deliveries, in one statement compiled once (`targetsStatement`): each
   * found delivery with its URL, whether its endpoint is active, and its sealed secrets. A delivery
   * that is not there is absent from the answer.
   */
  async targets(ids: readonly string[]): Promise<DeliveryTarget[]> {
    if (ids.length === 0) return [];
    const rows = await this.targetsStatement<TargetRow>(this.database.db, { ids: JSON.stringify(ids) });
    return rows.map(targetOf);
  }

  // The ids travel as one JSON array: one parameter whatever the batch's size, and the same text
  // run unnamed where the executor cannot prepare (a JS array there would be spread into a list).
  private readonly targetsStatement = fixedStatement<{ ids: string }>('gl_webhook_targets', (v) => {
    const { webhookDeliveries: d, webhookEndpoints: w, generations: g, apiKeys: k } = this.database.tables;
    return sql`
      select d.id, d.endpoint_id, d.status, d.event_type, d.occurred_at, d.generation_id, d.subject_id,
             coalesce(w.url, case when d.endpoint_id is null then g.webhook_url end) as url,
             case when d.endpoint_id is null then g.webhook_url is not null
                  else w.id is not null and w.disabled_at is null end as active,
             coalesce(w.secret, k.webhook_secret) as secret,
             case when w.previous_secret_expires_at > now() then w.previous_secret end as previous_secret,
             g.api_key_id
      from ${d} d
      left join ${w} w on w.id = d.endpoint_id
      left join ${g} g on g.id = d.generation_id
      left join ${k} k on k.id = g.api_key_id and d.endpoint_id is null
      where d.id = any(array(select jsonb_array_elements_text(${v.ids}::jsonb)::uuid))`;
  });

  /** One attempt and the endpoint's failure streak (webhook-store/attempts.ts). */
  recordAttempt(id: string, a: AttemptRecord) {
    this.recorder ??= attemptRecorder(this.database);
    return this.recorder(id, a);
  }

  private recorder: ReturnType<typeof attemptRecorder> | undefined;

  async markDeadLettered(id: string) {
    const d = this.database.tables.webhookDeliveries;
    const [r] = await rowsOf<{
      endpoint_id: string | null;
      last_status_code: number | null;
      last_error: string | null;
    }>(
      this.database.db.execute(sql`
        update ${d} set status = case when status = 'delivered' then status else 'failed' end, next_attempt_at = null
        where id = ${id} returning endpoint_id, last_status_code, last_error`),
    );
    return r && { endpointId: r.endpoint_id, statusCode: r.last_status_code, error: r.last_error };
  }

  /** The retention sweep's chunk (webhook-store/retention.ts). */
  deleteFinished(before: Date, limit: number): Promise<number> {
    return deleteFinishedDeliveries(this.database.db, this.database.tables.webhookDeliveries, before, limit);
  }

  async disableEndpoint(endpointId: string, why: AutoDisable): Promise<boolean> {
    const w = this.database.tables.webhookEndpoints;
    const streak =
      why.reason === 'failing' && why.failingSince
        ? sql`and failing_since = ${why.failingSince.toISOString()}::timestamptz`
        : sql``;
    return this.database.db.transaction(async (tx) => {
      const [row] = await rowsOf<{ api_key_id: string; failing_since: unknown }>(
        tx.execute(sql`
          update ${w} set disabled_at = now(), disabled_reason = ${why.reason}, updated_at = now()
          where id = ${endpointId} and disabled_at is null ${streak}
          returning api_key_id, failing_since`),
      );
      if (!row) return false;
      // The event's trigger writes the deliveries that tell admin endpoints (migration 0016).
      await this.events.appendAll(
        [
          {
            streamId: streams.webhookEndpoint(endpointId),
            event: {
              type: 'WebhookEndpointDisabled',
              endpointId,
              apiKeyId: row.api_key_id,
              reason: why.reason,
              failingSince: row.failing_since === null ? null : toDate(row.failing_since).toISOString(),
            },
          },
        ],
        { tx },
      );
      return true;
    });
  }
}
