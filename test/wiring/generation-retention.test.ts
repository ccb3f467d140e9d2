// The retention sweep (maintenance): finished generations older than `retention.generationDays`
// go, their outputs first, then their rows with their run journal. Real databases, a real file
// store; the worker handler makes the generations and keeps their outputs.

import { httpOutputFetcher } from '@genledger/adapters/outputs/http-output-fetcher';
import { silentLogger } from '@genledger/core/ports/logger';
import { runMaintenance } from '@genledger/core/use-cases/run-maintenance';
import type { Database } from '@genledger/db/connect';
import { maintenanceDeps } from '@genledger/wiring/maintenance';
import { storesOf } from '@genledger/wiring/stores';
import { createWorkerHandler } from '@genledger/wiring/worker';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { useDatabases } from '../support/databases.ts';
import { flakyGenerator } from '../support/generators.ts';
import { tempFileStore } from '../support/outputs.ts';
import { message, sqsEvent, sqsRecord } from '../support/sqs-events.ts';

const dbs = useDatabases();

async function completed(database: Database, count: number) {
  const stores = storesOf(database);
  const file = tempFileStore();
  const handler = createWorkerHandler({
    deps: async () => ({
      lifecycle: stores.lifecycle,
      generations: stores.generations,
      generator: flakyGenerator(0).generator,
      outputs: { store: file.store, fetcher: httpOutputFetcher({ timeoutMs: 1000 }), maxBytes: 1024 },
      logger: silentLogger,
      staleAfterMs: 60_000,
    }),
  });
  const messages = Array.from({ length: count }, () => message());
  expect(await handler(sqsEvent(...messages.map((m) => sqsRecord(m))))).toEqual({ batchItemFailures: [] });
  return { stores, file, ids: messages.map((m) => m.generationId) };
}

const age = (database: Database, ids: string[], days: number) =>
  database.db.execute(
    sql.raw(
      `update ${database.schema}.generations set updated_at = now() - interval '${days} days' where id in (${ids.map((id) => `'${id}'`).join(', ')})`,
    ),
  );

describe.each(['pglite', 'postgres'] as const)('generation retention on %s', (target) => {
  it('deletes finished generations past the setting with their outputs and runs; keeps the rest; 0 keeps all', async () => {
    const database = await dbs.open(target);
    const { stores, file, ids } = await completed(database, 3);
    const [old, recent, unfinished] = ids as [string, string, string];
    const outputOf = async (id: string) => (await stores.generations.get(id))?.outputs[0]?.key;
    const keys = { old: (await outputOf(old))!, recent: (await outputOf(recent))! };
    expect(await file.store.read(keys.old)).toBeDefined();
    // One finished long ago, one yesterday, and one long unchanged but not finished (running).
    await database.db.execute(
      sql.raw(`update ${database.schema}.generations set status = 'running' where id = '${unfinished}'`),
    );
    await age(database, [old, unfinished], 40);
    await age(database, [recent], 1);
    const sweep = async () =>
      (await runMaintenance(maintenanceDeps(database, { queue: undefined, env: {}, outputs: file.store })))
        .steps['generation-retention'];

    // The default, 0: nothing is deleted.
    expect(await sweep()).toEqual({ days: 0, deleted: 0 });
    expect(await stores.generations.get(old)).toBeDefined();

    await stores.settings.set('retention.generationDays', 30);
    expect(await sweep()).toEqual({ days: 30, deleted: 1 });
    expect(await stores.generations.get(old)).toBeUndefined();
    expect(await file.store.read(keys.old)).toBeUndefined();
    const runs = await rowsOf<{ n: number }>(
      database.db.execute(
        sql.raw(
          `select count(*)::int as n from ${database.schema}.generation_runs where generation_id = '${old}'`,
        ),
      ),
    );
    expect(runs[0]?.n).toBe(0);
    expect((await stores.generations.get(recent))?.status).toBe('completed');
    expect(await file.store.read(keys.recent)).toBeDefined();
    expect((await stores.generations.get(unfinished))?.status).toBe('running');

    // Nothing more to delete: the next run changes nothing.
    expect(await sweep()).toEqual({ days: 30, deleted: 0 });
  });
});
