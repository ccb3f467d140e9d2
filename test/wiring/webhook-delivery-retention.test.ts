// The webhook delivery retention (maintenance): finished deliveries (delivered, failed, skipped)
// created longer ago than `retention.webhookDeliveryDays` go with their attempts; pending and
// retrying ones stay whatever their age, as do recent ones. Real databases; deliveries and their
// attempts are written as the delivery function leaves them.

import { runMaintenance } from '@genledger/core/use-cases/run-maintenance';
import { webhookDeliveryRetentionStep } from '@genledger/core/use-cases/webhook-delivery-retention';
import type { Database } from '@genledger/db/connect';
import { maintenanceDeps } from '@genledger/wiring/maintenance';
import { storesOf } from '@genledger/wiring/stores';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { useDatabases } from '../support/databases.ts';
import { tempFileStore } from '../support/outputs.ts';

const dbs = useDatabases();

/** A delivery of a generation's event `ageDays` old in `status`, with one recorded attempt. */
async function delivery(database: Database, status: string, ageDays: number): Promise<string> {
  const s = database.schema;
  const [row] = await rowsOf<{ id: string }>(
    database.db.execute(
      sql.raw(`
        insert into ${s}.webhook_deliveries (event_type, generation_id, status, attempts, created_at, occurred_at)
        values ('generation.completed', gen_random_uuid(), '${status}', 1,
                now() - interval '${ageDays} days', now() - interval '${ageDays} days')
        returning id`),
    ),
  );
  await database.db.execute(
    sql.raw(`
      insert into ${s}.webhook_delivery_attempts (delivery_id, attempt, status, attempted_at)
      values ('${row!.id}', 1, '${status}', now() - interval '${ageDays} days')`),
  );
  return row!.id;
}

const remaining = async (database: Database, table: string, ids: string[]) =>
  (
    await rowsOf<{ id: string }>(
      database.db.execute(
        sql.raw(
          `select ${table === 'webhook_deliveries' ? 'id' : 'delivery_id as id'} from ${database.schema}.${table}
           where ${table === 'webhook_deliveries' ? 'id' : 'delivery_id'} in (${ids.map((id) => `'${id}'`).join(', ')})`,
        ),
      ),
    )
  )
    .map((r) => r.id)
    .sort();

describe.each(['pglite', 'postgres'] as const)('webhook delivery retention on %s', (target) => {
  it('deletes finished deliveries past the setting with their attempts; keeps unfinished and recent ones', async () => {
    const database = await dbs.open(target);
    const old = {
      delivered: await delivery(database, 'delivered', 40),
      failed: await delivery(database, 'failed', 40),
      skipped: await delivery(database, 'skipped', 40),
      pending: await delivery(database, 'pending', 40),
      retrying: await delivery(database, 'retrying', 40),
    };
    const recent = await delivery(database, 'delivered', 10);
    const all = [...Object.values(old), recent];
    const sweep = async () =>
      (
        await runMaintenance(
          maintenanceDeps(database, { queue: undefined, env: {}, outputs: tempFileStore().store }),
        )
      ).steps['webhook-delivery-retention'];

    // The default, 30 days.
    expect(await sweep()).toEqual({ days: 30, deleted: 3, more: false });
    const kept = [old.pending, old.retrying, recent].sort();
    expect(await remaining(database, 'webhook_deliveries', all)).toEqual(kept);
    expect(await remaining(database, 'webhook_delivery_attempts', all)).toEqual(kept);

    // A shorter setting reaches the recent one; a second run finds nothing more.
    await storesOf(database).settings.set('retention.webhookDeliveryDays', 7);
    expect(await sweep()).toEqual({ days: 7, deleted: 1, more: false });
    expect(await sweep()).toEqual({ days: 7, deleted: 0, more: false });
    expect(await remaining(database, 'webhook_deliveries', all)).toEqual([old.pending, old.retrying].sort());
  });

  it('deletes at most its chunks per run, oldest first, and says there is more', async () => {
    const database = await dbs.open(target);
    const ids = [];
    for (let age = 35; age < 42; age++) ids.push(await delivery(database, 'delivered', age));
    const step = webhookDeliveryRetentionStep({
      retentionDays: async () => 30,
      deleteFinished: (before, limit) => storesOf(database).webhookDeliveries.deleteFinished(before, limit),
      now: () => new Date(),
      chunk: 2,
      maxChunks: 2,
    });
    expect(await step.run()).toEqual({ days: 30, deleted: 4, more: true });
    // The four oldest (41 down to 38 days) went; 35–37 days old are left for the next run.
    expect(await remaining(database, 'webhook_deliveries', ids)).toEqual(ids.slice(0, 3).sort());
    expect(await step.run()).toEqual({ days: 30, deleted: 3, more: false });
  });
});
