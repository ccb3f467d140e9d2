import { toStorableString } from '@genledger/core/contracts/storable';
import { type DeliveryStatus, webhookDeliveryMessage } from '@genledger/core/contracts/webhooks';
import { failedMessageId } from '@genledger/core/failure-classification';
import type { AttemptRecord } from '@genledger/core/ports/webhooks';
import { sql } from 'drizzle-orm';
import type { Database } from '../connect.ts';
import { fixedStatement, toDate } from '../executor.ts';
import { groupedWhileBusy } from '../grouped-writes.ts';
import { MAX_STORED_RESPONSE_BYTES } from '../schema/webhooks.ts';
import { storedErrorMessage, truncateUtf8 } from '../stored-text.ts';

type Tables = Pick<Database, 'tables'>['tables'];
type Streak = { failingSince: Date | null } | undefined;

interface AttemptValues extends Record<string, unknown> {
  id: string;
  failedMessage: string;
  status: DeliveryStatus;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
  response: string | null;
  nextAttemptAt: string | null;
  at: string;
}

/** Deliveries to one busy receiver come back together: at most this many recorded in one statement. */
const MAX_GROUP = 100;

/**
 * Records an attempt (`WebhookDeliveries.recordAttempt`). A delivered attempt, the common case, goes
 * with the others that finished while the previous statement ran (`groupedWhileBusy`): one round
 * trip for several, as a delivery function's batch sends them side by side. Any other outcome is
 * recorded alone, by a statement that also answers the endpoint's failure streak after it.
 */
export function attemptRecorder(database: Pick<Database, 'db' | 'tables'>) {
  const one = oneAttempt(database.tables);
  const many = deliveredAttempts(database.tables);
  const delivered = groupedWhileBusy<AttemptValues, Streak>(async (group) => {
    const rows = await many<{ id: string; endpoint_id: string | null }>(database.db, {
      attempts: JSON.stringify(group.map(deliveredRow)),
    });
    // A delivery twice in one group is recorded once: the first of them is told so.
    const recorded = new Map(rows.map((r) => [r.id, r.endpoint_id]));
    return group.map((a) => {
      const endpoint = recorded.get(a.id);
      recorded.delete(a.id);
      return endpoint ? { failingSince: null } : undefined;
    });
  }, MAX_GROUP);
  return async (id: string, a: AttemptRecord): Promise<Streak> => {
    const values = valuesOf(id, a);
    if (a.status === 'delivered') return delivered(values);
    const [row] = await one<{ endpoint_id: string | null; failing_since: unknown }>(database.db, values);
    if (!row?.endpoint_id) return undefined;
    return { failingSince: row.failing_since === null ? null : toDate(row.failing_since) };
  };
}

const valuesOf = (id: string, a: AttemptRecord): AttemptValues => ({
  id,
  // A delivery an operator retried from the failed messages resolves its failed message when it gets through.
  failedMessage: failedMessageId(null, JSON.stringify(webhookDeliveryMessage(id))),
  status: a.status,
  statusCode: a.statusCode,
  latencyMs: a.latencyMs,
  error: a.error === null ? null : storedErrorMessage(a.error),
  response:
    a.response === null ? null : truncateUtf8(toStorableString(a.response), MAX_STORED_RESPONSE_BYTES).body,
  nextAttemptAt: a.nextAttemptAt?.toISOString() ?? null,
  at: a.at.toISOString(),
});

const deliveredRow = (a: AttemptValues) => ({
  id: a.id,
  failed_message: a.failedMessage,
  status_code: a.statusCode,
  latency_ms: a.latencyMs,
  response: a.response,
});

/**
 * One attempt, compiled once. A delivered row stays delivered: a duplicate receive that raced it
 * changes nothing. The endpoint's failure streak: a success ends it; a failure starts it unless one
 * is running; a skip leaves it. Written only when it changes: a healthy endpoint's row is not
 * rewritten by every delivery.
 */
const oneAttempt = (t: Tables) =>
  fixedStatement<AttemptValues>('gl_webhook_attempt', (v) => {
    const status = sql`${v.status}::text`;
    const streak = sql`case ${status} when 'skipped' then w.failing_since when 'delivered' then null::timestamptz
      else coalesce(w.failing_since, ${v.at}::timestamptz) end`;
    return sql`
      with resolved as (
        update ${t.failedMessages} set status = 'resolved', status_changed_at = now()
        where ${status} = 'delivered' and id = ${v.failedMessage}::text and status = 'retry_issued'
      ), attempted as (
        update ${t.webhookDeliveries} set status = ${status},
               attempts = attempts + case when ${status} = 'skipped' then 0 else 1 end,
               last_attempt_at = now(), last_status_code = ${v.statusCode}::int, last_latency_ms = ${v.latencyMs}::int,
               last_error = ${v.error}::text, last_response = ${v.response}::text,
               next_attempt_at = ${v.nextAttemptAt}::timestamptz,
               delivered_at = case when ${status} = 'delivered' then now() else delivered_at end
        where id = ${v.id}::uuid and status <> 'delivered'
        returning endpoint_id
      ), streak as (
        update ${t.webhookEndpoints} w set failing_since = ${streak}
        from attempted where w.id = attempted.endpoint_id and w.failing_since is distinct from ${streak}
        returning w.id, w.failing_since
      )
      select a.endpoint_id, case when s.id is null then w.failing_since else s.failing_since end as failing_since
      from attempted a left join streak s on s.id = a.endpoint_id
      left join ${t.webhookEndpoints} w on w.id = a.endpoint_id`;
  });

/**
 * Delivered attempts, as `oneAttempt` records each, in one statement: each row delivered (unless it
 * was already), its failed message resolved if an operator's retry sent it, and the failure streak
 * of each endpoint they reached ended. The ids recorded, with their endpoints.
 */
const deliveredAttempts = (t: Tables) =>
  fixedStatement<{ attempts: string }>(
    'gl_webhook_delivered',
    (v) => sql`
      with i as (
        select * from jsonb_to_recordset(${v.attempts}::jsonb)
          as i(id uuid, failed_message text, status_code int, latency_ms int, response text)
      ), resolved as (
        update ${t.failedMessages} set status = 'resolved', status_changed_at = now()
        where id in (select failed_message from i) and status = 'retry_issued'
      ), attempted as (
        update ${t.webhookDeliveries} d set status = 'delivered', attempts = d.attempts + 1,
               last_attempt_at = now(), last_status_code = i.status_code, last_latency_ms = i.latency_ms,
               last_error = null, last_response = i.response, next_attempt_at = null, delivered_at = now()
        from i where d.id = i.id and d.status <> 'delivered'
        returning d.id, d.endpoint_id
      ), streak as (
        update ${t.webhookEndpoints} w set failing_since = null
        where w.id in (select endpoint_id from attempted) and w.failing_since is not null
      )
      select id, endpoint_id from attempted`,
  );
