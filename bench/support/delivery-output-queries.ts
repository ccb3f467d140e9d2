// The scale bench's hot queries over webhook deliveries and kept outputs, each through the store
// method the product runs: the delivery log's first page (the API and the console), a delivery's
// target as the delivery function reads it before each send, maintenance's re-send of deliveries
// that never reached the webhook queue, a generation read with its outputs, the generation
// retention sweep's seek (it deletes the outputs of what it finds), and the delivery retention's
// seek (explained as a SELECT: explaining its DELETE would run it).
import type { Database, EventStore } from '@genledger/db';
import { rowsOf } from '@genledger/db';
import { GenerationStore } from '@genledger/db/generation-store';
import { WebhookDeliveryStore } from '@genledger/db/webhook-store/deliveries';
import { WebhookLogStore } from '@genledger/db/webhook-store/log';
import { sql } from 'drizzle-orm';

/** Generation retention as configured in the bench: finished generations older than 30 days. */
const RETENTION_DAYS = 30;

export function deliveryAndOutputQueries(
  database: Pick<Database, 'db' | 'schema' | 'tables'>,
  events: EventStore,
  apiKeyId: string,
  /** A delivery and a completed generation from the middle of the tables, chosen at each size. */
  sample: () => { deliveryId: string; generationId: string; endpointId: string },
): Record<string, () => Promise<unknown>> {
  const log = new WebhookLogStore(database);
  const deliveries = new WebhookDeliveryStore(database, events);
  const generations = new GenerationStore(database, events);
  const owner = { admin: false as const, apiKeyId };
  return {
    deliveryLogPage: () => log.page(sample().endpointId, owner, { limit: 20 }),
    deliveryTarget: () => deliveries.targets([sample().deliveryId]),
    deliveriesUnsent: () => deliveries.unsent({ createdBefore: new Date(Date.now() - 60_000), limit: 100 }),
    generationOutputs: () => generations.get(sample().generationId, owner),
    outputsRetentionSeek: () =>
      generations.findExpired(new Date(Date.now() - RETENTION_DAYS * 86_400_000), 200),
    // webhook-store/retention.ts's chunk without its delete.
    deliveriesRetentionSeek: () =>
      database.db.execute(sql`
        select id from ${database.tables.webhookDeliveries}
        where created_at < ${new Date(Date.now() - RETENTION_DAYS * 86_400_000).toISOString()}::timestamptz
          and status in ('delivered', 'failed', 'skipped')
        order by created_at limit 1000`),
  };
}

/** Picks the samples for `deliveryAndOutputQueries` at the current size: the middle of each table. */
export async function sampleDeliveryAndOutput(
  database: Pick<Database, 'db' | 'schema'>,
  apiKeyId: string,
  generations: number,
) {
  const t = (name: string) => sql.raw(`"${database.schema}"."${name}"`);
  const [row] = await rowsOf<{ delivery_id: string; generation_id: string; endpoint_id: string }>(
    database.db.execute(sql`
      select d.id as delivery_id, d.generation_id, d.endpoint_id
      from ${t('webhook_deliveries')} d join ${t('generations')} g on g.id = d.generation_id
      where d.endpoint_id = md5('w' || ${apiKeyId})::uuid and g.status = 'completed'
        and d.event_sequence >= ${Math.floor(generations / 2)}
      order by d.event_sequence limit 1`),
  );
  if (!row) throw new Error('no delivery of a completed generation to sample');
  return { deliveryId: row.delivery_id, generationId: row.generation_id, endpointId: row.endpoint_id };
}
