// Rows in the tables every request reads or writes, counted before and after the archive's drain.
// Stream heads are the events that end their stream: appends read them, and before migration 0006
// one per stream stayed in `events` forever. `oldHeads` counts those older than the archive's
// horizon (the drain moves them), and how many of them end a finished generation's stream.
import type pg from 'pg';

export interface HotRows {
  events: number;
  streamHeads: number;
  oldHeads: number;
  oldHeadsOfFinished: number;
  generations: number;
  /** Outputs kept in the generations' `outputs` column (migration 0011), and rows holding any. */
  outputs: number;
  generationsWithOutputs: number;
  webhookDeliveries: number;
}

export async function countHotRows(raw: pg.Client, schema: string, olderThan: Date): Promise<HotRows> {
  const t = (name: string) => `"${schema}"."${name}"`;
  const heads = await raw.query(
    `select count(*)::bigint as heads,
            count(*) filter (where e.stored_at < $1)::bigint as old,
            count(*) filter (where e.stored_at < $1 and g.status in ('completed', 'failed', 'cancelled'))::bigint as old_finished
     from ${t('events')} e
     join (select stream_id, max(stream_version) as v from ${t('events')} group by stream_id) h
       on h.stream_id = e.stream_id and h.v = e.stream_version
     left join ${t('generations')} g
       on e.stream_id like 'generation-%' and g.id = (case when e.stream_id like 'generation-%' then substr(e.stream_id, 12) end)::uuid`,
    [olderThan],
  );
  const rest = await raw.query(
    `select (select count(*) from ${t('events')})::bigint as events,
            (select count(*) from ${t('generations')})::bigint as generations,
            (select coalesce(sum(jsonb_array_length(outputs)), 0) from ${t('generations')})::bigint as outputs,
            (select count(*) from ${t('generations')} where outputs <> '[]'::jsonb)::bigint as with_outputs,
            (select count(*) from ${t('webhook_deliveries')})::bigint as deliveries`,
  );
  const h = heads.rows[0] as Record<string, string>;
  const r = rest.rows[0] as Record<string, string>;
  return {
    events: Number(r.events),
    streamHeads: Number(h.heads),
    oldHeads: Number(h.old),
    oldHeadsOfFinished: Number(h.old_finished),
    generations: Number(r.generations),
    outputs: Number(r.outputs),
    generationsWithOutputs: Number(r.with_outputs),
    webhookDeliveries: Number(r.deliveries),
  };
}

/** One line per table: `events 10,001,967 → 3,771,078`. */
export function hotRowsLines(before: HotRows, after: HotRows): string[] {
  const n = (v: number) => v.toLocaleString('en-US');
  return (Object.keys(before) as (keyof HotRows)[]).map(
    (k) => `  hot rows ${k.padEnd(22)} ${n(before[k]).padStart(12)} → ${n(after[k]).padStart(12)}`,
  );
}
