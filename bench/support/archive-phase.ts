// The scale bench's archive phase (`npm run bench -- scale-archive`): after the large size's
// measurements, `EventStore.archive` runs as the maintenance run does (EVENT_ARCHIVE_AFTER_DAYS 30,
// 10 statements of 10,000 events a run) until nothing is left to move, while single-event appends
// run beside it; their latency is compared with appends run just before with no archive running.
// Then the queries that read `events` are timed again, before and after a vacuum and analyze (what
// autovacuum does after a large change), and judged by pages touched against the 100k size.
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import type { Database, EventStore } from '@genledger/db';
import type pg from 'pg';
import { countHotRows, hotRowsLines } from './hot-rows.ts';

const ARCHIVE_AFTER_DAYS = 30;
const TARGET = 1.5;

type Timed = Record<string, { ms: number; buffers?: { pages: number; plan: string } }>;

export async function archivePhase(input: {
  database: Pick<Database, 'db' | 'schema'>;
  raw: pg.Client;
  store: EventStore;
  small: Timed;
  events: number;
  generations: number;
  archiveStatements: number[];
  timeAll: (queries: Record<string, () => Promise<unknown>>) => Promise<Timed>;
}) {
  const { raw, store, small, events, generations } = input;
  const s = input.database.schema;
  const log = (line: string) => console.log(line);
  const sizes = async () => {
    const r = await raw.query(
      `select pg_total_relation_size('"${s}".events') as events, pg_total_relation_size('"${s}".events_archive') as archive,
              (select count(*) from "${s}".events) as hot, (select count(*) from "${s}".events_archive) as archived,
              pg_current_wal_lsn()::text as lsn`,
    );
    const row = r.rows[0] as Record<string, string>;
    return {
      eventsBytes: Number(row.events),
      archiveBytes: Number(row.archive),
      hotRows: Number(row.hot),
      archivedRows: Number(row.archived),
      lsn: row.lsn!,
    };
  };
  const mb = (bytes: number) => Math.round(bytes / 1048576);

  // Single-event appends, one at a time: every other one opens a new stream, the others extend an
  // old stream whose history the archive is moving (the head it appends after may move next).
  let k = 0;
  const appendOnce = async () => {
    const fresh = k % 2 === 0;
    const n = 1 + ((k * 7919) % Math.floor(generations / 2));
    // The loader's ids are md5 hashes, not valid UUIDs for the payload: the stream is what counts.
    const generationId = crypto.randomUUID();
    k++;
    const t0 = performance.now();
    await store.appendAll([
      {
        streamId: `generation-${fresh ? generationId : uuidOf(n)}`,
        event: {
          type: 'GenerationCompleted',
          generationId,
          model: 'sdxl',
          attempt: 1,
          outputPath: 'o.png',
          thumbnailPath: null,
          durationMs: k,
        },
      },
    ]);
    return performance.now() - t0;
  };
  const appendWhile = async (running: () => boolean) => {
    const out: number[] = [];
    while (running()) out.push(await appendOnce());
    return out;
  };
  // Appends waiting on a lock, sampled every 20 ms from pg_stat_activity.
  const lockWaitSampler = () => {
    let stop = false;
    let samples = 0;
    let waiting = 0;
    const done = (async () => {
      while (!stop) {
        const r = await raw.query(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        samples++;
        if ((r.rows[0] as { n: number }).n > 0) waiting++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    return async () => {
      stop = true;
      await done;
      return { samples, waiting };
    };
  };

  const olderThan = new Date(Date.now() - ARCHIVE_AFTER_DAYS * 86_400_000);
  const before = await sizes();
  const hotBefore = await countHotRows(raw, s, olderThan);
  log(
    `archive: events ${before.hotRows} rows, ${mb(before.eventsBytes)} MB (table + indexes); older than ${ARCHIVE_AFTER_DAYS} days from now on`,
  );

  // Baseline: appends for 15 s with nothing else running.
  const baselineEnd = performance.now() + 15_000;
  const baseline = await appendWhile(() => performance.now() < baselineEnd);
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));

  // The drain: maintenance runs back to back (in production one a minute), appends alongside.
  input.archiveStatements.length = 0;
  let draining = true;
  const stopSampler = lockWaitSampler();
  const appendsDuring = appendWhile(() => draining);
  const runs: { ms: number; moved: number }[] = [];
  const drainStarted = performance.now();
  try {
    for (;;) {
      const t0 = performance.now();
      const { moved } = await store.archive({ olderThan, maxChunks: 10 });
      runs.push({ ms: performance.now() - t0, moved });
      if (runs.length % 10 === 0)
        log(
          `  ${runs.length} runs, ${runs.reduce((a, r) => a + r.moved, 0)} moved (${seconds(drainStarted)} s)`,
        );
      // A run reads at most 100,000 events and moves those that qualify (heads too, since 0006).
      if (moved === 0) break;
    }
  } finally {
    draining = false;
  }
  const drainSeconds = seconds(drainStarted);
  const during = await appendsDuring;
  const locks = await stopSampler();
  const statementMs = [...input.archiveStatements];
  const loadAfterDrain = loadavg().map((l) => Number(l.toFixed(2)));
  const after = await sizes();
  const hotAfter = await countHotRows(raw, s, olderThan);
  const walBytes = Number(
    (await raw.query(`select pg_wal_lsn_diff($1, $2)::bigint as d`, [after.lsn, before.lsn])).rows[0].d,
  );

  // A run with nothing left to move: what every minute costs once the backlog is gone.
  const idleStarted = performance.now();
  const idle = await store.archive({ olderThan, maxChunks: 10 });
  const idleMs = performance.now() - idleStarted;

  const moved = runs.reduce((a, r) => a + r.moved, 0);
  // Every run but the last read its full 100,000 events.
  const full = runs.slice(0, -1).map((r) => r.ms);
  log(
    `  ${moved} events moved in ${runs.length} runs, ${drainSeconds} s (${Math.round(moved / drainSeconds)} events/s); a run (100,000 events read, ${Math.round(moved / Math.max(1, runs.length - 1))} moved on average): median ${ms(pct(full, 50))} ms, max ${ms(pct(full, 100))} ms`,
  );
  log(
    `  one statement (10,000 events, its own transaction: the time its locks are held): median ${ms(pct(statementMs, 50))} ms, p99 ${ms(pct(statementMs, 99))} ms, max ${ms(pct(statementMs, 100))} ms`,
  );
  log(
    `  events ${mb(before.eventsBytes)} → ${mb(after.eventsBytes)} MB (${before.hotRows} → ${after.hotRows} rows), events_archive ${mb(after.archiveBytes)} MB, WAL written ${mb(walBytes)} MB`,
  );
  log(
    `  single-event appends: p50 ${ms(pct(baseline, 50))} → ${ms(pct(during, 50))} ms, p99 ${ms(pct(baseline, 99))} → ${ms(pct(during, 99))} ms (${baseline.length} without the archive, ${during.length} during it); lock waits seen in ${locks.waiting} of ${locks.samples} samples`,
  );
  log(`  a run with nothing to move: ${ms(idleMs)} ms (moved ${idle.moved})`);
  for (const line of hotRowsLines(hotBefore, hotAfter)) log(line);

  // The queries that read `events`, after the drain: the tail of the feed, a page from the middle
  // of the archived history, a stream whose history is archived and a recent one.
  const tailSequence = Number(
    (await raw.query(`select sequence from "${s}".events order by sequence desc offset 2000 limit 1`)).rows[0]
      .sequence,
  );
  const archived = (
    await raw.query(
      `select tx_id::text as tx, sequence from "${s}".events_archive where sequence >= $1 order by sequence limit 1`,
      [Math.floor(events / 2)],
    )
  ).rows[0] as { tx: string; sequence: string };
  const queries: Record<string, () => Promise<unknown>> = {
    feedPageTail: async () => store.readAfter(await store.positionOf(tailSequence), 100),
    feedPageArchived: () => store.readAfter({ txId: archived.tx, sequence: Number(archived.sequence) }, 100),
    streamReadArchived: () => store.readStream(`generation-${uuidOf(1 + Math.floor(generations / 3))}`),
    streamReadRecent: () => store.readStream(`generation-${uuidOf(Math.floor(generations * 0.95))}`),
  };
  const baselineOf: Record<string, string> = {
    feedPageTail: 'feedPage',
    feedPageArchived: 'feedPage',
    streamReadArchived: 'streamRead',
    streamReadRecent: 'streamRead',
    projectionCatchUp1000: 'projectionCatchUp1000',
    retentionSweep: 'retentionSweep',
  };
  const judge = (timed: Timed, label: string) => {
    const out: Record<string, unknown> = {};
    for (const [name, r] of Object.entries(timed)) {
      const base = small[baselineOf[name] ?? name];
      const sb = base?.buffers?.pages;
      const pb = r.buffers?.pages;
      const bufferRatio = sb && pb ? Number((pb / sb).toFixed(2)) : undefined;
      const ratio = base ? Number((r.ms / base.ms).toFixed(2)) : undefined;
      out[name] = {
        ms: Number(r.ms.toFixed(2)),
        smallMs: base ? Number(base.ms.toFixed(2)) : undefined,
        ratio,
        pages: pb,
        smallPages: sb,
        bufferRatio,
        plan: r.buffers?.plan,
      };
      const judged = bufferRatio ?? ratio ?? 0;
      log(
        `  ${label} ${name.padEnd(22)} ${r.ms.toFixed(2).padStart(8)} ms (100k: ${base?.ms.toFixed(2) ?? '–'}); pages ${sb ?? '–'} → ${pb ?? '–'} (ratio ${bufferRatio ?? '–'}) ${judged > TARGET ? `MISSED (target ≤ ${TARGET})` : ''}`,
      );
      if (r.buffers) log(`      plan: ${r.buffers.plan}`);
    }
    return out;
  };
  const afterDrain = judge(await input.timeAll(queries), 'after drain');
  const vacuumStarted = performance.now();
  // What autovacuum does after this much change: until then the archive has no statistics, and
  // the planner guesses a stream read finds thousands of rows there (a parallel plan).
  await raw.query(`vacuum (analyze) "${s}".events`);
  await raw.query(`analyze "${s}".events_archive`);
  const vacuumSeconds = seconds(vacuumStarted);
  const afterVacuum = judge(await input.timeAll(queries), 'after vacuum+analyze');
  const vacuumed = await sizes();
  log(
    `  vacuum analyze of events, analyze of events_archive: ${vacuumSeconds} s; events ${mb(vacuumed.eventsBytes)} MB after it`,
  );

  return {
    archiveAfterDays: ARCHIVE_AFTER_DAYS,
    runs: runs.length,
    moved,
    drainSeconds,
    eventsPerSecond: Math.round(moved / drainSeconds),
    fullRunMs: { median: ms(pct(full, 50)), max: ms(pct(full, 100)) },
    statementMs: {
      count: statementMs.length,
      median: ms(pct(statementMs, 50)),
      p99: ms(pct(statementMs, 99)),
      max: ms(pct(statementMs, 100)),
    },
    idleRunMs: ms(idleMs),
    eventsBytes: {
      before: before.eventsBytes,
      afterDrain: after.eventsBytes,
      afterVacuum: vacuumed.eventsBytes,
    },
    hotRows: { before: hotBefore, after: hotAfter },
    archiveBytes: after.archiveBytes,
    walBytes,
    appendsMs: {
      withoutArchive: { n: baseline.length, p50: ms(pct(baseline, 50)), p99: ms(pct(baseline, 99)) },
      duringArchive: { n: during.length, p50: ms(pct(during, 50)), p99: ms(pct(during, 99)) },
    },
    lockWaitSamples: locks,
    vacuumSeconds,
    queriesAfterDrain: afterDrain,
    queriesAfterVacuum: afterVacuum,
    loadAverage: { beforeDrain: loadBefore, afterDrain: loadAfterDrain },
  };
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const ms = (v: number) => Number(v.toFixed(1));
const seconds = (since: number) => Number(((performance.now() - since) / 1000).toFixed(1));

/** md5('g' || n)::uuid, the id the loader gives generation n. */
function uuidOf(n: number): string {
  const hex = createHash('md5').update(`g${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
