// Listing failed messages over 100,000 records on a real Postgres, with a status filter and a
// full-text query: page 1 against page 500 of the same keyset walk (target: within 1.5×).

import type { FailedMessageKeyset } from '@genledger/core/ports/failed-messages';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { sql } from 'drizzle-orm';
import { benchDatabase } from './support/bench-database.ts';

const RECORDS = Number(process.env.BENCH_FAILED_MESSAGES ?? 100_000);
const PAGE = 20;

export default async function failedMessagesBench() {
  const { database, stop } = await benchDatabase('bench_failed', 2);
  try {
    const t = sql.raw(`"${database.schema}".failed_messages`);
    const started = performance.now();
    // Errors vary so that full text matches about a third of the rows.
    await database.db.execute(sql`
      insert into ${t} (id, status, message_id, message_type, generation_id, model, body, attributes, first_failed_at,
                        last_failed_at, attempt_count, status_changed_at, last_error_type, last_error_message)
      select md5(g::text) || md5((g + 1)::text), case when g % 10 = 0 then 'archived' else 'unresolved' end,
             'msg-' || g, 'generation.requested', gen_random_uuid(), case when g % 2 = 0 then 'sdxl' else 'flux' end,
             '{"type":"generation.requested","request":{"prompt":"a lighthouse number ' || g || '"}}', '{}'::jsonb,
             now() - make_interval(secs => g), now() - make_interval(secs => g), 1, now(),
             case when g % 3 = 0 then 'GeneratorTimeout' else 'GeneratorUnavailable' end,
             case when g % 3 = 0 then 'generator did not answer within 60000 ms' else 'generator answered 503: upstream overloaded' end
      from generate_series(1, ${RECORDS}) g`);
    await database.db.execute(sql`analyze ${t}`);
    const loadSeconds = (performance.now() - started) / 1000;
    console.log(`loaded ${RECORDS} failed messages in ${loadSeconds.toFixed(1)} s`);

    const store = new FailedMessageStore(database, new EventStore(database));
    const filter = { statuses: ['unresolved' as const], q: 'upstream overloaded' };
    const sort = { field: 'lastFailedAt' as const, descending: true };
    const timePage = async (after?: FailedMessageKeyset) => {
      const samples: number[] = [];
      let page: Awaited<ReturnType<typeof store.list>> | undefined;
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        page = await store.list(filter, sort, PAGE, after);
        samples.push(performance.now() - t0);
      }
      samples.sort((a, b) => a - b);
      return { ms: samples[Math.floor(samples.length / 2)]!, page: page! };
    };
    const first = await timePage();
    // Walk to page 500 through the cursors, as a client would.
    let after = first.page.next;
    for (let p = 2; p < 500 && after; p++) after = (await store.list(filter, sort, PAGE, after)).next;
    const deep = await timePage(after);
    if (first.page.items.length !== PAGE || deep.page.items.length !== PAGE) {
      throw new Error(
        `expected full pages, got ${first.page.items.length} and ${deep.page.items.length}: the data set does not match the query`,
      );
    }
    const figures = {
      records: RECORDS,
      matchingPerPage: PAGE,
      page1Ms: Number(first.ms.toFixed(2)),
      page500Ms: Number(deep.ms.toFixed(2)),
      ratio: Number((deep.ms / first.ms).toFixed(2)),
      page500Items: deep.page.items.length,
    };
    console.log(
      `failed messages, status + full text over ${RECORDS}: page 1 ${figures.page1Ms} ms, page 500 ${figures.page500Ms} ms → ratio ${figures.ratio} (target ≤ 1.5)`,
    );
    return figures;
  } finally {
    await stop();
  }
}
