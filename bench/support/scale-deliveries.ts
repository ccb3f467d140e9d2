// The scale bench's webhook endpoints and deliveries (migration 0014): every key has one endpoint
// subscribed to completions and failures, and every finished generation (completed or failed) one
// delivery to its key's endpoint, made when it finished. Nearly all were delivered at the first
// attempt; one in fifty failed for good. Ten of each load's newest never reached the webhook queue
// (`enqueued_at` null: what maintenance re-sends), and those of the previous load count as re-sent:
// maintenance clears that backlog every minute, so it does not grow with the table.
import type { Database } from '@genledger/db';
import { sql } from 'drizzle-orm';

const CHUNK = 100_000;

const tableOf = (schema: string) => (name: string) => sql.raw(`"${schema}"."${name}"`);

/** md5('w' || key's id)::uuid: the endpoint of each key, one per key. */
export async function seedEndpoints(database: Pick<Database, 'db' | 'schema'>) {
  const t = tableOf(database.schema);
  await database.db.execute(sql`
    insert into ${t('webhook_endpoints')} (id, api_key_id, url, events, secret)
    select md5('w' || k.id)::uuid, k.id, 'https://hooks.example.com/' || k.key_prefix,
           array['generation.completed', 'generation.failed'], 'sealed-' || k.key_prefix
    from ${t('api_keys')} k`);
}

/** Deliveries for generations `from`..`to` (the loader's numbering) that finished. */
export async function growDeliveries(database: Pick<Database, 'db' | 'schema'>, from: number, to: number) {
  const t = tableOf(database.schema);
  await database.db.execute(
    sql`update ${t('webhook_deliveries')} set enqueued_at = created_at where enqueued_at is null`,
  );
  for (let a = from; a <= to; a += CHUNK) {
    const b = Math.min(to, a + CHUNK - 1);
    await database.db.execute(sql`
      insert into ${t('webhook_deliveries')} (endpoint_id, event_type, event_sequence, generation_id, occurred_at,
             status, attempts, enqueued_at, created_at, last_attempt_at, delivered_at, last_status_code, last_latency_ms, last_error)
      select md5('w' || x.api_key_id)::uuid, 'generation.' || x.status, n, x.id, x.completed_at,
             case when n % 1000 = 7 and n > ${to - 10_000} then 'pending' when n % 50 = 3 then 'failed' else 'delivered' end,
             case when n % 1000 = 7 and n > ${to - 10_000} then 0 when n % 50 = 3 then 8 else 1 end,
             case when not (n % 1000 = 7 and n > ${to - 10_000}) then x.completed_at end, x.completed_at,
             case when not (n % 1000 = 7 and n > ${to - 10_000}) then x.completed_at + interval '1 second' end,
             case when not (n % 1000 = 7 and n > ${to - 10_000}) and n % 50 <> 3 then x.completed_at + interval '1 second' end,
             case when n % 1000 = 7 and n > ${to - 10_000} then null when n % 50 = 3 then 503 else 200 end,
             case when not (n % 1000 = 7 and n > ${to - 10_000}) then 20 + (hashint4(n::int) & 255) end,
             case when n % 50 = 3 and not (n % 1000 = 7 and n > ${to - 10_000}) then 'receiver answered 503' end
      from generate_series(${a}::bigint, ${b}::bigint) n
      join ${t('generations')} x on x.id = md5('g' || n)::uuid
      where x.status in ('completed', 'failed')
      order by x.completed_at`);
  }
}
