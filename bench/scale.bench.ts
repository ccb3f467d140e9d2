// `npm run bench -- scale`: the hot queries at a small size and at a large one, same schema, same
// run. Tables are grown server-side with generate_series (realistic mixes: statuses, models, a
// 90-day spread of creation times, 100 keys, 1–19 events per generation, 20 failure groups), each
// query is timed (median of 9 after a warm-up) at both sizes, and a query that grows by more than
// 1.5× gets its EXPLAIN ANALYZE printed. SCALE_MAX_EVENTS sets the large size (events; the
// generations and failed messages are a tenth of it each); the default is 2,000,000 because the
// bench machine is shared, 10,000,000 is the issue's size. Besides time, each query's last
// statement reports the pages it touched (EXPLAIN BUFFERS): the measure a shared machine cannot
// move, and the one a query is judged by where it is known.

import { createHash } from 'node:crypto';
import { dailyGenerationStats, EventStore, ProjectionRunner, rowsOf } from '@genledger/db';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationQueries } from '@genledger/db/generation-queries';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { benchDatabase } from './support/bench-database.ts';

const SMALL = 100_000;
const LARGE = Number(process.env.SCALE_MAX_EVENTS ?? 2_000_000);
const TARGET = 1.5;

/** Records the statements pg runs, so a slow query can be explained as it was sent. */
function recordStatements() {
  const original = pg.Client.prototype.query;
  let last: { text: string; values: unknown[] } | undefined;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [a, b] = args as [unknown, unknown];
    if (typeof a === 'string') last = { text: a, values: Array.isArray(b) ? b : [] };
    else if (a && typeof a === 'object' && 'text' in a) {
      const config = a as { text: string; values?: unknown[] };
      last = { text: config.text, values: config.values ?? (Array.isArray(b) ? b : []) };
    }
    return (original as (...x: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  return {
    get last() {
      return last;
    },
    restore: () => {
      pg.Client.prototype.query = original;
    },
  };
}

export default async function scaleBench() {
  // No statement timeout: loading a million rows in one statement takes longer than a request may.
  const { server, database, stop } = await benchDatabase('bench_scale', 4, 0);
  const statements = recordStatements();
  const raw = new pg.Client({ connectionString: server.url });
  await raw.connect();
  const s = database.schema;
  const t = (name: string) => sql.raw(`"${s}"."${name}"`);
  try {
    // 100 keys own the generations; 20 failure groups hold the failed messages.
    await database.db.execute(sql`
      insert into ${t('api_keys')} (id, name, key_hash, key_prefix, rate_limit)
      select gen_random_uuid(), 'key ' || k, md5(k::text) || md5((k + 1000)::text), 'k' || lpad(k::text, 7, '0'), 1000
      from generate_series(1, 100) k`);
    await database.db.execute(sql`
      insert into ${t('failure_groups')} (id, classifier, title, first_failed_at, last_failed_at)
      select 'group-' || k, 'error-type', 'error ' || k, now() - interval '90 days', now() from generate_series(1, 20) k`);

    let events = 0;
    let generations = 0;
    let failed = 0;
    /** Grows the tables to `target` events, a tenth as many generations and failed messages. */
    const grow = async (target: number) => {
      const started = performance.now();
      const G = target / 10;
      for (let from = generations + 1; from <= G; from += 100_000) {
        const to = Math.min(G, from + 99_999);
        await database.db.execute(sql`
          insert into ${t('generations')} (id, api_key_id, name, prompt, model, status, created_at, updated_at,
                                          started_at, completed_at, duration_ms, attempts, enqueued_at, output_path)
          select md5('g' || g)::uuid, (select array_agg(id order by id) from ${t('api_keys')})[1 + g % 100],
                 'job ' || (g % 1000),
                 (array['lighthouse','harbour','forest','city','portrait','dragon','sunset','mountain'])[1 + g % 8] || ' ' ||
                 (array['at dusk','in fog','oil painting','watercolour','photograph','at night','in spring'])[1 + (g / 8) % 7],
                 case when g % 10 < 6 then 'sdxl' when g % 10 < 8 then 'flux' when g % 10 < 9 then 'sd15' else 'playground' end,
                 st, c, c, case when st <> 'pending' then c + interval '2 seconds' end,
                 case when st in ('completed', 'failed', 'cancelled') then c + make_interval(secs => 2 + d / 1000.0) end,
                 case when st in ('completed', 'failed') then d end,
                 case when st = 'pending' then 0 else 1 end, c,
                 case when st = 'completed' then 'outputs/' || g || '.png' end
          from (select g, now() - make_interval(secs => (${G}::bigint - g) * 7776000.0 / ${G}) as c,
                       case when g % 100 < 80 then 'completed' when g % 100 < 90 then 'failed' when g % 100 < 95 then 'pending'
                            when g % 100 < 98 then 'running' else 'cancelled' end as st,
                       (500 + (hashint4(g::int) & 65535) % 30000) as d
                from generate_series(${from}::bigint, ${to}::bigint) g) x`);
      }
      // 1–19 events per generation stream (10 on average): requested, then progress and completion.
      for (let from = generations + 1; from <= G; from += 100_000) {
        const to = Math.min(G, from + 99_999);
        await database.db.execute(sql`
          insert into ${t('events')} (stream_id, stream_version, event_type, event_version, payload, metadata)
          select 'generation-' || md5('g' || g)::uuid, v,
                 case when v = 1 then 'GenerationRequested' else 'GenerationCompleted' end, 1,
                 case when v = 1 then jsonb_build_object('generationId', md5('g' || g)::uuid, 'apiKeyId', null, 'source', 'http',
                        'request', jsonb_build_object('prompt', 'p' || g, 'name', '', 'model', 'sdxl', 'width', 512, 'height', 512, 'steps', 20, 'guidance', 7.5))
                      else jsonb_build_object('generationId', md5('g' || g)::uuid, 'model', 'sdxl', 'attempt', 1, 'outputPath', 'o.png', 'thumbnailPath', null, 'durationMs', g % 5000) end,
                 '{}'::jsonb
          from generate_series(${from}::bigint, ${to}::bigint) g
          cross join lateral generate_series(1, 1 + (g % 19)::int) v
          order by g, v`);
      }
      const F = target / 10;
      for (let from = failed + 1; from <= F; from += 100_000) {
        const to = Math.min(F, from + 99_999);
        await database.db.execute(sql`
          insert into ${t('failed_messages')} (id, status, message_id, message_type, generation_id, model, body, attributes,
                            first_failed_at, last_failed_at, attempt_count, status_changed_at, last_error_type, last_error_message)
          select md5(g::text) || md5((g + 1)::text),
                 case when g % 20 < 14 then 'unresolved' when g % 20 < 16 then 'resolved' when g % 20 < 18 then 'archived' else 'retry_issued' end,
                 'msg-' || g, 'generation.requested', md5('g' || g)::uuid, case when g % 2 = 0 then 'sdxl' else 'flux' end,
                 '{"type":"generation.requested","request":{"prompt":"a lighthouse number ' || g || '"}}', '{}'::jsonb,
                 c, c, 1 + g % 3,
                 -- Ten resolved ones past retention per load: each sweep has the same little to do.
                 case when g % 1000 = 14 and g > ${F} - 10000 then now() - interval '60 days' else c end,
                 case when g % 3 = 0 then 'GeneratorTimeout' else 'GeneratorUnavailable' end,
                 case when g % 3 = 0 then 'generator did not answer within 60000 ms' else 'generator answered 503: upstream overloaded' end
          from (select g, now() - make_interval(secs => (${F}::bigint - g) * 7776000.0 / ${F}) as c
                from generate_series(${from}::bigint, ${to}::bigint) g) x`);
        await database.db.execute(sql`
          insert into ${t('failure_group_members')} (group_id, failed_message_id)
          select 'group-' || (1 + g % 20), md5(g::text) || md5((g + 1)::text) from generate_series(${from}::bigint, ${to}::bigint) g`);
      }
      for (const table of ['generations', 'events', 'failed_messages', 'failure_group_members'])
        await database.db.execute(sql`analyze ${t(table)}`);
      generations = G;
      failed = F;
      const [count] = await rowsOf<{ n: string }>(
        database.db.execute(sql`select count(*) as n from ${t('events')}`),
      );
      events = Number(count!.n);
      return (performance.now() - started) / 1000;
    };

    const store = new EventStore(database);
    const queries = new GenerationQueries(database);
    const failedMessages = new FailedMessageStore(database, store);
    const runner = new ProjectionRunner(database, store, { batchSize: 1000 });
    const [someKey] = await rowsOf<{ id: string }>(
      database.db.execute(sql`select id from ${t('api_keys')} order by id limit 1`),
    );
    const owner = { admin: false as const, apiKeyId: someKey!.id };
    const admin = { admin: true as const };
    const page = 20;

    const hot: Record<string, () => Promise<unknown>> = {
      feedPage: async () => store.readAfter(await store.positionOf(Math.floor(events / 2)), 100),
      streamRead: () => store.readStream(`generation-${uuidOf(1 + Math.floor(generations / 3))}`),
      listByStatus: () =>
        queries.list(admin, { statuses: ['failed'] }, { field: 'createdAt', descending: true }, page),
      listFullText: () =>
        queries.list(admin, { q: 'dragon watercolour' }, { field: 'createdAt', descending: true }, page),
      listOwnCreatedAt: () => queries.list(owner, {}, { field: 'createdAt', descending: true }, page),
      listOwnCompletedAt: () => queries.list(owner, {}, { field: 'completedAt', descending: true }, page),
      listOwnDuration: () => queries.list(owner, {}, { field: 'durationMs', descending: true }, page),
      listOwnName: () => queries.list(owner, {}, { field: 'name', descending: false }, page),
      deepPage50: async () => {
        let after: Awaited<ReturnType<typeof queries.list>>['next'];
        for (let p = 0; p < 50; p++)
          after = (await queries.list(owner, {}, { field: 'createdAt', descending: true }, page, after)).next;
        return queries.list(owner, {}, { field: 'createdAt', descending: true }, page, after);
      },
      failedFullText: () =>
        failedMessages.list(
          { statuses: ['unresolved'], q: 'upstream overloaded' },
          { field: 'lastFailedAt', descending: true },
          page,
        ),
      groupCounts: () => failedMessages.groups(),
    };

    /** Pages a statement touches (shared hit + read): unlike time, not moved by a busy machine. */
    const buffersOf = async (st: { text: string; values: unknown[] } | undefined) => {
      if (!st) return undefined;
      const plan = await raw.query(`explain (analyze, buffers, format json) ${st.text}`, st.values);
      const top = (plan.rows[0] as { 'QUERY PLAN': { Plan: Record<string, number> }[] })['QUERY PLAN'][0]!
        .Plan;
      return (top['Shared Hit Blocks'] ?? 0) + (top['Shared Read Blocks'] ?? 0);
    };
    const timeAll = async () => {
      const out: Record<
        string,
        { ms: number; buffers?: number; statement?: { text: string; values: unknown[] } }
      > = {};
      for (const [name, q] of Object.entries(hot)) {
        await q();
        const samples: number[] = [];
        for (let i = 0; i < 9; i++) {
          const t0 = performance.now();
          await q();
          samples.push(performance.now() - t0);
        }
        samples.sort((a, b) => a - b);
        const statement = statements.last;
        out[name] = { ms: samples[4]!, statement, buffers: await buffersOf(statement) };
      }
      // Projection catch-up: 1,000 new events behind a checkpoint at the end of the feed.
      await runner.catchUp(dailyGenerationStats(s));
      const fresh = Array.from({ length: 1000 }, (_, i) => {
        const generationId = crypto.randomUUID();
        return {
          streamId: `generation-${generationId}`,
          event: {
            type: 'GenerationCompleted' as const,
            generationId,
            model: 'sdxl',
            attempt: 1,
            outputPath: 'o.png',
            thumbnailPath: null,
            durationMs: i,
          },
        };
      });
      for (let i = 0; i < 1000; i += 100) await store.appendAll(fresh.slice(i, i + 100));
      let t0 = performance.now();
      await runner.catchUp(dailyGenerationStats(s));
      out.projectionCatchUp1000 = { ms: performance.now() - t0 };
      // Retention sweep: deletes the one-in-a-thousand expired resolved messages.
      t0 = performance.now();
      await failedMessages.deleteExpired(30);
      out.retentionSweep = {
        ms: performance.now() - t0,
        // Its seek, explained as a SELECT (explaining the DELETE would run it again).
        statement: {
          text: `select id from "${s}".failed_messages where status in ('resolved', 'archived') and status_changed_at < now() - make_interval(days => 30) limit 1000`,
          values: [],
        },
      };
      out.retentionSweep.buffers = await buffersOf(out.retentionSweep.statement);
      return out;
    };

    const smallLoad = await grow(SMALL);
    console.log(
      `small: ${events} events, ${generations} generations, ${failed} failed messages (${smallLoad.toFixed(1)} s to load)`,
    );
    // The projection starts at the end of what was loaded: catch-up is timed on fresh events only.
    await setCheckpointToEnd(database, s);
    const small = await timeAll();
    const largeLoad = await grow(LARGE);
    console.log(
      `large: ${events} events, ${generations} generations, ${failed} failed messages (${largeLoad.toFixed(1)} s to load)`,
    );
    await setCheckpointToEnd(database, s);
    const large = await timeAll();

    const rows: Record<
      string,
      {
        smallMs: number;
        largeMs: number;
        ratio: number;
        smallBuffers?: number;
        largeBuffers?: number;
        bufferRatio?: number;
        explain?: string[];
      }
    > = {};
    for (const name of Object.keys(small)) {
      const a = small[name]!.ms;
      const b = large[name]!.ms;
      const ratio = Number((b / a).toFixed(2));
      const sb = small[name]!.buffers;
      const lb = large[name]!.buffers;
      const bufferRatio = sb && lb ? Number((lb / sb).toFixed(2)) : undefined;
      const row: (typeof rows)[string] = {
        smallMs: Number(a.toFixed(2)),
        largeMs: Number(b.toFixed(2)),
        ratio,
        smallBuffers: sb,
        largeBuffers: lb,
        bufferRatio,
      };
      const st = large[name]!.statement;
      // Judged by pages touched where known (the machine's load moves the times), else by time.
      if ((bufferRatio ?? ratio) > TARGET && st) {
        const plan = await raw.query(
          `explain (analyze, costs off, timing off, summary off) ${st.text}`,
          st.values,
        );
        row.explain = plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']!);
      }
      rows[name] = row;
      const judged = bufferRatio ?? ratio;
      console.log(
        `${name.padEnd(22)} ${row.smallMs.toFixed(2).padStart(8)} ms → ${row.largeMs.toFixed(2).padStart(8)} ms  time ratio ${ratio}; pages ${sb ?? '–'} → ${lb ?? '–'} (ratio ${bufferRatio ?? '–'}) ${judged > TARGET ? `MISSED (target ≤ ${TARGET})` : ''}`,
      );
      if (row.explain) console.log(row.explain.map((l) => `    ${l}`).join('\n'));
    }
    return {
      smallEvents: SMALL,
      largeEvents: events,
      largeGenerations: generations,
      largeFailedMessages: failed,
      loadSeconds: Number((smallLoad + largeLoad).toFixed(1)),
      queries: rows,
    };
  } finally {
    statements.restore();
    await raw.end();
    await stop();
  }
}

/** md5('g' || n)::uuid, the id the loader gives generation n. */
function uuidOf(n: number): string {
  const hex = createHash('md5').update(`g${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function setCheckpointToEnd(
  database: Awaited<ReturnType<typeof benchDatabase>>['database'],
  schema: string,
) {
  await database.db.execute(sql`
    insert into ${sql.raw(`"${schema}"."checkpoints"`)} (name, tx_id, sequence)
    select ${dailyGenerationStats(schema).name}, e.tx_id, e.sequence from ${sql.raw(`"${schema}"."events"`)} e
    order by e.tx_id desc, e.sequence desc limit 1
    on conflict (name) do update set tx_id = excluded.tx_id, sequence = excluded.sequence`);
}
