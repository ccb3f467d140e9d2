import type { GenerationRecord } from '@genledger/core/contracts/generation';
import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import { uuidArray } from '../sql-arrays.ts';
import type { GenerationTables } from './context.ts';
import { GENERATION_COLUMNS, type GenerationRow, toGenerationRecord } from './row.ts';

/**
 * The re-send bookkeeping of the maintenance job: which generations reached the queue, and which
 * may have lost their message.
 */

/** A send failed: the maintenance job re-sends what is pending and not enqueued. */
export async function markNotEnqueued(
  tx: Executor,
  t: GenerationTables,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await tx.execute(sql`
    update ${t.generations} set enqueued_at = null
    where id = any(${uuidArray(ids)}) and status = 'pending'`);
}

/** Records that messages reached the queue (a re-send by maintenance). */
export async function markEnqueued(tx: Executor, t: GenerationTables, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.execute(sql`
    update ${t.generations} set enqueued_at = now()
    where id = any(${uuidArray(ids)})`);
}

/**
 * Unfinished generations whose message may be lost and is (re-)sent: the send failed (not
 * enqueued, older than `notEnqueuedBefore`); pending — before or after failed attempts — with
 * nothing sent or changed since `staleBefore` (the process died between commit and send, or the
 * message was lost); running under an attempt started, and nothing sent, before
 * `runningStaleBefore` (its worker is gone; the worker takes a stale attempt over). A message
 * merely still in flight is redelivered before these thresholds pass when they exceed the
 * queue's visibility timeout; and if not, the worker's guards still admit one completion only.
 */
export async function findUnsent(
  db: Executor,
  t: GenerationTables,
  options: {
    notEnqueuedBefore: Date;
    staleBefore: Date;
    runningStaleBefore?: Date;
    limit: number;
  },
): Promise<GenerationRecord[]> {
  const stale = options.staleBefore.toISOString();
  const runningStale = (options.runningStaleBefore ?? options.staleBefore).toISOString();
  const rows = await rowsOf<GenerationRow>(
    db.execute(sql`
      select ${GENERATION_COLUMNS} from ${t.generations} g
      where (status = 'pending'
             and ((enqueued_at is null and created_at < ${options.notEnqueuedBefore.toISOString()}::timestamptz)
                  or greatest(enqueued_at, updated_at) < ${stale}::timestamptz))
         or (status = 'running'
             and greatest(coalesce(enqueued_at, created_at), updated_at) < ${runningStale}::timestamptz
             -- an attempt at an asynchronous backend is alive until its deadline, its delivery held
             and not exists (select 1 from ${t.runs} r where r.generation_id = g.id
                             and r.attempt = g.attempts and r.status = 'running' and r.deadline_at > now()))
      order by created_at limit ${options.limit}`),
  );
  return rows.map(toGenerationRecord);
}
