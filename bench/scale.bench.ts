// `npm run bench -- scale`: the hot queries at a small size and at a large one, same schema, same
// run. Tables are grown server-side with generate_series (bench/support/scale-data.ts: statuses,
// models and keys mixed, rows created in time order over 90 days, 1–19 events per generation, 20
// failure groups, an endpoint per key with a delivery per finished generation, one or two kept
// outputs per completed generation), each query is timed (median of 9 after a warm-up) at both sizes, and a query
// that grows by more than 1.5× gets its EXPLAIN ANALYZE printed. SCALE_MAX_EVENTS sets the large
// size (events; the generations and failed messages are a tenth of it each); the default is the
// issue's 10,000,000, about five minutes on two cores. Besides time, each query's last statement
// reports the pages it touched (EXPLAIN BUFFERS) and its plan's shape: the measure a shared
// machine cannot move, and the one a query is judged by where it is known.

import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import { dailyGenerationStats, EventStore, ProjectionRunner, rowsOf } from '@genledger/db';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationQueries } from '@genledger/db/generation-queries';
import { ConsoleReads } from '@genledger/db/read-models/console-read-model';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { archivePhase } from './support/archive-phase.ts';
import { benchDatabase } from './support/bench-database.ts';
import { deliveryAndOutputQueries, sampleDeliveryAndOutput } from './support/delivery-output-queries.ts';
import { recordStatements } from './support/recorded-statements.ts';
import { growScaleData, seedScaleData } from './support/scale-data.ts';

const SMALL = 100_000;
const LARGE = Number(process.env.SCALE_MAX_EVENTS ?? 10_000_000);
const TARGET = 1.5;

export default function scaleBench() {
  return runScale({ archive: false });
}

/** With `archive`, an archive phase follows the large size's measurements (bench: scale-archive). */
export async function runScale(options: { archive: boolean }) {
  // No statement timeout: loading a million rows in one statement takes longer than a request may.
  const { server, database, stop } = await benchDatabase('bench_scale', 4, 0);
  const statements = recordStatements();
  const raw = new pg.Client({ connectionString: server.url });
  await raw.connect();
  const s = database.schema;
  const t = (name: string) => sql.raw(`"${s}"."${name}"`);
  try {
    // Loading and index builds only: a checkpoint every few hundred MB and small sorts would
    // multiply the load time; none of these settings changes a plan or a page count.
    await raw.query(`alter system set maintenance_work_mem = '512MB'`);
    await raw.query(`alter system set max_wal_size = '16GB'`);
    await raw.query(`alter system set checkpoint_timeout = '1h'`);
    await raw.query('select pg_reload_conf()');
    const state = await seedScaleData(database);
    const log = (line: string) => console.log(line);
    /** Grows the tables to `target` events, a tenth as many generations and failed messages. */
    const grow = (target: number, dropIndexes: boolean) =>
      growScaleData(database, state, target, { finalTarget: LARGE, dropIndexes, log });
    const sizes = () => {
      events = state.events;
      generations = state.generations;
      failed = state.failed;
    };
    let events = 0;
    let generations = 0;
    let failed = 0;

    const store = new EventStore(database);
    const queries = new GenerationQueries(database);
    const failedMessages = new FailedMessageStore(database, store);
    const runner = new ProjectionRunner(database, store, { batchSize: 1000 });
    const consoleQueries = new ConsoleReads(database, store);
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
      // The console's live pages, which poll: counts past the cap come from the statistics, and
      // an event-log filter searches the newest events only (the console read model).
      overviewCounts: () => consoleQueries.generationCounts(admin),
      eventLogFilter: () => consoleQueries.recentEvents({ type: 'ApiKeyRevoked' }, 50),
      failedMatchingCount: () => consoleQueries.countMatching({ statuses: ['unresolved'] }),
      // A receipt polls every second until its batch settles: the batch's messages are read
      // through the transaction that issued it (a retry of three, issued at each size).
      retryReceipt: () => consoleQueries.batchMessages(receipt.id, receipt.createdAt),
      // The failure groups' 14-day sparklines, on every view of the groups: per-day counts
      // (migration 0010); at the large size the last 14 days hold ≈ 15 % of 2M attempts.
      groupSparklines: () =>
        consoleQueries.groupTrends(new Date(Date.now() - 13 * 86_400_000).toISOString().slice(0, 10)),
      ...deliveryAndOutputQueries(database, store, someKey!.id, () => sample),
    };
    let sample = { deliveryId: '', generationId: '', endpointId: '' };
    let receipt = { id: '', createdAt: '' };
    /** A retry of three unresolved messages through the use case, as an operator issues one. */
    const issueRetry = async () => {
      const ids = await rowsOf<{ id: string }>(
        database.db.execute(
          sql`select id from ${t('failed_messages')} where status = 'unresolved' order by id limit 3`,
        ),
      );
      const { retryBatchId } = await changeFailedMessageStatus(
        { failedMessages },
        'retry',
        { ids: ids.map((r) => r.id) },
        { requestedBy: null },
      );
      const [batch] = await rowsOf<{ created_at: Date }>(
        database.db.execute(sql`select created_at from ${t('retry_batches')} where id = ${retryBatchId}`),
      );
      receipt = { id: retryBatchId!, createdAt: new Date(batch!.created_at).toISOString() };
    };

    /**
     * Pages a statement touches (shared hit + read): unlike time, not moved by a busy machine. With
     * the plan's shape (node types and indexes), to show which plan the pages belong to.
     */
    const buffersOf = async (st: { text: string; values: unknown[] } | undefined) => {
      if (!st) return undefined;
      const plan = await raw.query(`explain (analyze, buffers, format json) ${st.text}`, st.values);
      const top = (plan.rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
      return {
        pages: Number(top['Shared Hit Blocks'] ?? 0) + Number(top['Shared Read Blocks'] ?? 0),
        plan: shapeOf(top),
      };
    };
    const timeAll = async (queries: Record<string, () => Promise<unknown>> = hot) => {
      const out: Record<
        string,
        {
          ms: number;
          buffers?: { pages: number; plan: string };
          statement?: { text: string; values: unknown[] };
        }
      > = {};
      for (const [name, q] of Object.entries(queries)) {
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

    const smallLoad = await grow(SMALL, false);
    sizes();
    console.log(
      `small: ${events} events, ${generations} generations, ${failed} failed messages (${smallLoad.loadSeconds} s to load, ${smallLoad.indexSeconds} s to index)`,
    );
    // The projection starts at the end of what was loaded: catch-up is timed on fresh events only.
    await setCheckpointToEnd(database, s);
    await issueRetry();
    sample = await sampleDeliveryAndOutput(database, someKey!.id, generations);
    const small = await timeAll();
    // The large growth loads without the big tables' secondary indexes and builds them after.
    const largeLoad = await grow(LARGE, true);
    sizes();
    console.log(
      `large: ${events} events, ${generations} generations, ${failed} failed messages (${largeLoad.loadSeconds} s to load, ${largeLoad.indexSeconds} s to index)`,
    );
    await setCheckpointToEnd(database, s);
    await issueRetry();
    sample = await sampleDeliveryAndOutput(database, someKey!.id, generations);
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
        smallPlan?: string;
        largePlan?: string;
        explain?: string[];
      }
    > = {};
    for (const name of Object.keys(small)) {
      const a = small[name]!.ms;
      const b = large[name]!.ms;
      const ratio = Number((b / a).toFixed(2));
      const sb = small[name]!.buffers?.pages;
      const lb = large[name]!.buffers?.pages;
      const bufferRatio = sb && lb ? Number((lb / sb).toFixed(2)) : undefined;
      const row: (typeof rows)[string] = {
        smallMs: Number(a.toFixed(2)),
        largeMs: Number(b.toFixed(2)),
        ratio,
        smallBuffers: sb,
        largeBuffers: lb,
        bufferRatio,
        smallPlan: small[name]!.buffers?.plan,
        largePlan: large[name]!.buffers?.plan,
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
      if (row.largePlan)
        console.log(
          row.smallPlan === row.largePlan
            ? `    plan: ${row.largePlan}`
            : `    small plan: ${row.smallPlan}\n    large plan: ${row.largePlan}`,
        );
      if (row.explain) console.log(row.explain.map((l) => `    ${l}`).join('\n'));
    }
    const archive = options.archive
      ? await archivePhase({
          database,
          raw,
          store,
          small,
          events,
          generations,
          archiveStatements: statements.archiveStatements,
          timeAll,
        })
      : undefined;
    return {
      smallEvents: SMALL,
      largeEvents: events,
      largeGenerations: generations,
      largeFailedMessages: failed,
      loadSeconds: Number((smallLoad.loadSeconds + largeLoad.loadSeconds).toFixed(1)),
      indexSeconds: Number((smallLoad.indexSeconds + largeLoad.indexSeconds).toFixed(1)),
      loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
      queries: rows,
      ...(archive ? { archive } : {}),
    };
  } finally {
    statements.restore();
    await raw.end();
    await stop();
  }
}

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

/** A plan's shape in one line: `Limit > Index Scan Backward (generations_created_at_idx)`. */
function shapeOf(node: PlanNode): string {
  const index = node['Index Name'] ? ` (${node['Index Name']})` : '';
  const direction = node['Scan Direction'] === 'Backward' ? ' Backward' : '';
  const self = `${node['Node Type']}${direction}${index}`;
  const children = (node.Plans ?? []).map(shapeOf);
  if (children.length === 0) return self;
  return children.length === 1 ? `${self} > ${children[0]}` : `${self} > [${children.join(' | ')}]`;
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
