import type { RecordedOutputKeys } from '@genledger/core/ports/generation-lifecycle';
import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { type Executor, rowsOf } from './executor.ts';

/**
 * The generation's record as it stands for one attempt: open while the generation runs at it (a
 * completion may still record what it wrote), else the output keys of its completion at exactly
 * that attempt, or none. A plain read, off the hot path: on the paths that ask after a guarded
 * write found nothing, whatever ended the attempt has committed (the write waited for it, READ
 * COMMITTED), and a completion still in flight reads as open. A completed generation never moves
 * again, so an answer of ended stays true.
 */
export async function recordedOutputKeys(
  db: Executor,
  generations: PgTable,
  generationId: string,
  attempt: number,
): Promise<RecordedOutputKeys> {
  const [row] = await rowsOf<{ open: boolean; outputs: unknown }>(
    db.execute(sql`
      select (g.status = 'running' and g.attempts = ${attempt}) as open,
             case when g.status = 'completed' and g.attempts = ${attempt} then g.outputs end as outputs
      from ${generations} g where g.id = ${generationId}`),
  );
  if (row?.open) return { attempt: 'open' };
  const outputs = typeof row?.outputs === 'string' ? JSON.parse(row.outputs) : row?.outputs;
  const keys = Array.isArray(outputs) ? outputs.map((o: { key?: unknown }) => o?.key) : [];
  return { attempt: 'ended', keys: keys.filter((k): k is string => typeof k === 'string') };
}
