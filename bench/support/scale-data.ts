// The scale bench's data, grown server-side with generate_series (realistic mixes: statuses,
// models, a 90-day spread of creation times, 100 keys, 1–19 events per generation, 20 failure
// groups). Rows are created in time order, one every 90 days / (the final size) apart, so growing
// appends newer rows after older ones as a live table does (an earlier loader spread each load
// over the same 90 days, which interleaved the small load's rows with the large load's in every
// time-ordered index: a page switch per row that no real table has). A large growth loads with the big tables' secondary indexes dropped and builds them
// afterwards: one sort per index instead of ten million random index inserts (minutes, not hours,
// on two cores). Constraint indexes (primary keys) stay.
import { type Database, rowsOf } from '@genledger/db';
import { sql } from 'drizzle-orm';
import { growDeliveries, seedEndpoints } from './scale-deliveries.ts';

const BIG_TABLES = [
  'generations',
  'events',
  'failed_messages',
  'failure_group_members',
  'failed_message_attempts',
  'webhook_deliveries',
];
const CHUNK = 100_000;

export interface ScaleState {
  events: number;
  generations: number;
  failed: number;
}

export async function seedScaleData(database: Pick<Database, 'db' | 'schema'>): Promise<ScaleState> {
  const t = tableOf(database.schema);
  // 100 keys own the generations; 20 failure groups hold the failed messages.
  await database.db.execute(sql`
    insert into ${t('api_keys')} (id, name, key_hash, key_prefix, rate_limit)
    select gen_random_uuid(), 'key ' || k, md5(k::text) || md5((k + 1000)::text), 'k' || lpad(k::text, 7, '0'), 1000
    from generate_series(1, 100) k`);
  await database.db.execute(sql`
    insert into ${t('failure_groups')} (id, classifier, title, first_failed_at, last_failed_at)
    select 'group-' || k, 'error-type', 'error ' || k, now() - interval '90 days', now() from generate_series(1, 20) k`);
  // The loader writes 100,000 events a statement, so the loaded events share a few transaction
  // ids, where a live table has about one per request (the API writes a generation's events one
  // transaction at a time). A transaction id cannot be made up (the feed passes only those older
  // than every running transaction, and these are the oldest there are), so the statistics are
  // told instead: without it the planner expects a transaction to hold half the table and reads a
  // retry receipt's three events with a sequential scan (4,059 pages at 100k events).
  await seedEndpoints(database);
  for (const table of ['events', 'events_archive'])
    await database.db.execute(sql`alter table ${t(table)} alter column tx_id set (n_distinct = -0.5)`);
  return { events: 0, generations: 0, failed: 0 };
}

/**
 * Grows the tables to `target` events, a tenth as many generations and failed messages. Returns
 * the seconds it took, split into loading rows and building indexes.
 */
export async function growScaleData(
  database: Pick<Database, 'db' | 'schema'>,
  state: ScaleState,
  target: number,
  options: { finalTarget: number; dropIndexes: boolean; log?: (line: string) => void },
): Promise<{ loadSeconds: number; indexSeconds: number }> {
  const t = tableOf(database.schema);
  const log = options.log ?? (() => {});
  const started = performance.now();
  const indexes = options.dropIndexes ? await dropSecondaryIndexes(database) : [];
  const G = target / 10;
  // Seconds between two rows' creation: the final size spans the last 90 days.
  const step = 7_776_000 / (options.finalTarget / 10);
  for (let from = state.generations + 1; from <= G; from += CHUNK) {
    const to = Math.min(G, from + CHUNK - 1);
    await database.db.execute(sql`
      insert into ${t('generations')} (id, api_key_id, name, prompt, model, status, created_at, updated_at,
                                      started_at, completed_at, duration_ms, attempts, enqueued_at, output_path, outputs)
      -- A key's rows mix every status and model (a key by g % 100 would give each key one status).
      select md5('g' || g)::uuid, (select array_agg(id order by id) from ${t('api_keys')})[1 + (hashint4(g::int + 1) & 65535) % 100],
             'job ' || (g % 1000),
             (array['lighthouse','harbour','forest','city','portrait','dragon','sunset','mountain'])[1 + g % 8] || ' ' ||
             (array['at dusk','in fog','oil painting','watercolour','photograph','at night','in spring'])[1 + (g / 8) % 7],
             case when g % 10 < 6 then 'sdxl' when g % 10 < 8 then 'flux' when g % 10 < 9 then 'sd15' else 'playground' end,
             st, c, c, case when st <> 'pending' then c + interval '2 seconds' end,
             case when st in ('completed', 'failed', 'cancelled') then c + make_interval(secs => 2 + d / 1000.0) end,
             case when st in ('completed', 'failed') then d end,
             case when st = 'pending' then 0 else 1 end, c,
             case when st = 'completed' then 'generations/' || md5('g' || g)::uuid || '/0.png' end,
             -- What the worker keeps (migration 0011): one output, every fourth generation two.
             case when st <> 'completed' then '[]'::jsonb
                  else (select jsonb_agg(jsonb_build_object('key', 'generations/' || md5('g' || g)::uuid || '/' || i || '.png',
                          'contentType', 'image/png', 'bytes', 200000 + (hashint4(g::int + i) & 65535), 'sha256', md5('o' || g || i) || md5('p' || g || i)))
                        from generate_series(0, case when g % 4 = 0 then 1 else 0 end) i) end
      from (select g, now() - interval '90 days' + make_interval(secs => g * ${step}::float8) as c,
                   case when g % 100 < 80 then 'completed' when g % 100 < 90 then 'failed' when g % 100 < 95 then 'pending'
                        when g % 100 < 98 then 'running' else 'cancelled' end as st,
                   (500 + (hashint4(g::int) & 65535) % 30000) as d
            from generate_series(${from}::bigint, ${to}::bigint) g) x`);
  }
  log(`  generations loaded (${seconds(started)} s)`);
  // The deliveries are loaded on their own below (one per finished generation): the trigger of
  // migration 0014 would add one per completion event the loader writes (9 on average per stream).
  await database.db.execute(sql`alter table ${t('events')} disable trigger webhook_deliveries_for_event`);
  // 1–19 events per generation stream (10 on average): requested, then progress and completion,
  // stored a second apart from the generation's creation on (the archive phase moves by age).
  for (let from = state.generations + 1; from <= G; from += CHUNK) {
    const to = Math.min(G, from + CHUNK - 1);
    await database.db.execute(sql`
      insert into ${t('events')} (stream_id, stream_version, event_type, event_version, payload, metadata, stored_at)
      select 'generation-' || md5('g' || g)::uuid, v,
             case when v = 1 then 'GenerationRequested' else 'GenerationCompleted' end, 1,
             case when v = 1 then jsonb_build_object('generationId', md5('g' || g)::uuid, 'apiKeyId', null, 'source', 'http',
                    'request', jsonb_build_object('prompt', 'p' || g, 'name', '', 'model', 'sdxl', 'width', 512, 'height', 512, 'steps', 20, 'guidance', 7.5))
                  else jsonb_build_object('generationId', md5('g' || g)::uuid, 'model', 'sdxl', 'attempt', 1, 'outputPath', 'o.png', 'thumbnailPath', null, 'durationMs', g % 5000) end,
             '{}'::jsonb,
             now() - interval '90 days' + make_interval(secs => g * ${step}::float8 + v)
      from generate_series(${from}::bigint, ${to}::bigint) g
      cross join lateral generate_series(1, 1 + (g % 19)::int) v
      order by g, v`);
  }
  await database.db.execute(sql`alter table ${t('events')} enable trigger webhook_deliveries_for_event`);
  log(`  events loaded (${seconds(started)} s)`);
  await growDeliveries(database, state.generations + 1, G);
  log(`  webhook deliveries loaded (${seconds(started)} s)`);
  const F = target / 10;
  for (let from = state.failed + 1; from <= F; from += CHUNK) {
    const to = Math.min(F, from + CHUNK - 1);
    await database.db.execute(sql`
      insert into ${t('failed_messages')} (id, status, message_id, message_type, generation_id, model, body, attributes,
                        first_failed_at, last_failed_at, attempt_count, status_changed_at, last_error_type, last_error_message)
      select md5(g::text) || md5((g + 1)::text),
             case when g % 20 < 14 then 'unresolved' when g % 20 < 16 then 'resolved' when g % 20 < 18 then 'archived' else 'retry_issued' end,
             'msg-' || g, 'generation.requested', md5('g' || g)::uuid, case when g % 2 = 0 then 'sdxl' else 'flux' end,
             '{"type":"generation.requested","request":{"prompt":"a lighthouse number ' || g || '"}}', '{}'::jsonb,
             c, c, 1 + g % 3,
             -- Ten resolved ones past retention per load: each sweep has the same little to do. The
             -- others changed within the last 29 days.
             case when g % 1000 = 14 and g > ${F} - 10000 then now() - interval '60 days'
                  else now() - make_interval(secs => (hashint4(g::int) & 65535) * 38) end,
             case when g % 3 = 0 then 'GeneratorTimeout' else 'GeneratorUnavailable' end,
             case when g % 3 = 0 then 'generator did not answer within 60000 ms' else 'generator answered 503: upstream overloaded' end
      from (select g, now() - interval '90 days' + make_interval(secs => g * ${step}::float8) as c
            from generate_series(${from}::bigint, ${to}::bigint) g) x`);
    // Through the counters' trigger (migration 0005), as the store's own writes are.
    await database.db.execute(sql`
      insert into ${t('failure_group_members')} (group_id, failed_message_id)
      select 'group-' || (1 + g % 20), md5(g::text) || md5((g + 1)::text) from generate_series(${from}::bigint, ${to}::bigint) g`);
    // Each message's attempts (its attempt_count of them, a minute apart up to its last failure),
    // through the per-day counts' trigger (migration 0010).
    await database.db.execute(sql`
      insert into ${t('failed_message_attempts')} (failed_message_id, message_id, failed_at, receive_count, queue,
                                                   error_type, error_message, error_stack)
      select md5(g::text) || md5((g + 1)::text), 'msg-' || g || '-' || k, c - make_interval(mins => k - 1), 3,
             'arn:aws:sqs:us-east-1:000000000000:genledger-main',
             case when g % 3 = 0 then 'GeneratorTimeout' else 'GeneratorUnavailable' end,
             case when g % 3 = 0 then 'generator did not answer within 60000 ms' else 'generator answered 503: upstream overloaded' end,
             'Error: generator failed' || chr(10) || '    at render (file:///var/task/worker.mjs:1:2345)'
      from (select g, now() - interval '90 days' + make_interval(secs => g * ${step}::float8) as c
            from generate_series(${from}::bigint, ${to}::bigint) g) x
      cross join lateral generate_series(1, 1 + (g % 3)::int) k`);
  }
  const loadSeconds = seconds(started);
  log(`  failed messages loaded (${loadSeconds} s)`);
  const indexed = performance.now();
  for (const index of indexes) await database.db.execute(sql.raw(index.definition));
  for (const table of BIG_TABLES) await database.db.execute(sql`analyze ${t(table)}`);
  // Index-only scans and bitmap scans read the visibility map: vacuum as autovacuum would have.
  for (const table of BIG_TABLES) await database.db.execute(sql`vacuum ${t(table)}`);
  const indexSeconds = seconds(indexed);
  log(`  ${indexes.length} indexes built, tables analysed and vacuumed (${indexSeconds} s)`);
  state.generations = G;
  state.failed = F;
  const [count] = await rowsOf<{ n: string }>(
    database.db.execute(sql`select count(*) as n from ${t('events')}`),
  );
  state.events = Number(count!.n);
  return { loadSeconds, indexSeconds };
}

/** Drops the big tables' indexes that back no constraint; returns how to build them again. */
async function dropSecondaryIndexes(database: Pick<Database, 'db' | 'schema'>) {
  const rows = await rowsOf<{ name: string; definition: string }>(
    database.db.execute(sql`
      select i.indexname as name, i.indexdef as definition
      from pg_indexes i
      where i.schemaname = ${database.schema} and i.tablename in (${sql.join(
        BIG_TABLES.map((n) => sql`${n}`),
        sql`, `,
      )})
        and not exists (select 1 from pg_constraint c where c.conname = i.indexname
                        and c.connamespace = ${database.schema}::regnamespace)`),
  );
  for (const r of rows) await database.db.execute(sql.raw(`drop index "${database.schema}"."${r.name}"`));
  return rows;
}

const tableOf = (schema: string) => (name: string) => sql.raw(`"${schema}"."${name}"`);
const seconds = (since: number) => Number(((performance.now() - since) / 1000).toFixed(1));
