import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { useDatabases } from '../support/databases.ts';
import { deadLetter } from '../support/dead-letters.ts';
import { lockWaiters } from '../support/locks.ts';

const dbs = useDatabases();

/**
 * Every writer of a generation and its failed messages locks the messages first (then their
 * groups), then the generation: an ingest, a retry and a completion alike. A completion that
 * locked the generation first and then waited for a message an ingest held, while that ingest
 * waited for the generation, was a deadlock Postgres broke by failing one of them.
 */
describe('lock order of a completion on postgres', () => {
  it('takes the failed messages before the generation', async () => {
    const database = await dbs.open('postgres');
    const events = new EventStore(database);
    const store = new FailedMessageStore(database, events);
    const generationId = crypto.randomUUID();
    await database.db.execute(sql`
      insert into ${database.tables.generations} (id, prompt, status, attempts, started_at)
      values (${generationId}, 'a retried fox', 'running', 2, now())`);
    const failed = await deadLetter(store, { generationId });
    // Retried, and running its next attempt (the dead-lettering had failed it).
    await database.db.execute(
      sql`update ${database.tables.generations} set status = 'running', completed_at = null where id = ${generationId}`,
    );
    await database.db.execute(
      sql`update ${database.tables.failedMessages} set status = 'retry_issued' where id = ${failed.id}`,
    );
    // What an ingest of the same message holds first: the message.
    const ingest = new pg.Client({ connectionString: database.config.url });
    const probe = new pg.Client({ connectionString: database.config.url });
    await ingest.connect();
    await probe.connect();
    try {
      await ingest.query('begin');
      await ingest.query(`select 1 from "${database.schema}".failed_messages where id = $1 for update`, [
        failed.id,
      ]);
      const completed = new GenerationLifecycle(database, events).complete({
        generationId,
        attempt: 2,
        model: 'sdxl',
        outputs: [],
        promptId: null,
        durationMs: 10,
      });
      await lockWaiters(database.config.url!);
      // The completion waits for the message without holding the generation: the ingest's next
      // step, the generation, is free for it to take.
      await probe.query('set lock_timeout = 1');
      await expect(
        probe.query(`select 1 from "${database.schema}".generations where id = $1 for update nowait`, [
          generationId,
        ]),
      ).resolves.toMatchObject({ rowCount: 1 });
      await ingest.query('commit');
      expect(await completed).toBe(true);
    } finally {
      await ingest.end();
      await probe.end();
    }
    const [row] = await rowsOf<{ status: string }>(
      database.db.execute(sql`select status from ${database.tables.failedMessages} where id = ${failed.id}`),
    );
    expect(row!.status).toBe('resolved');
  });
});
