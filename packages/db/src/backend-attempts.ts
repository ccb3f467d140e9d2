import type {
  AwaitBackendInput,
  AwaitedAttempt,
  ExpiredAttempt,
} from '@genledger/core/ports/generation-lifecycle';
import { type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { type Executor, rowsOf, toDate } from './executor.ts';

/**
 * The run journal's side of an attempt at an asynchronous backend (docs/backends.md): what the
 * worker records before and after submitting, and how a callback, a poll or the maintenance job
 * finds the attempt again. Outcomes themselves go through GenerationLifecycle's complete and
 * failAttempt, guarded like a synchronous attempt's.
 */
export interface BackendAttemptTables {
  generations: PgTable;
  runs: PgTable;
}

/** Records the deadline, the callback token's hash and the held delivery, before the backend is called. */
export async function awaitBackend(db: Executor, t: BackendAttemptTables, input: AwaitBackendInput) {
  const rows = await rowsOf<{ id: number }>(
    db.execute(sql`
      update ${t.runs} set callback_token_hash = ${input.callbackTokenHash},
             deadline_at = ${input.deadlineAt.toISOString()}::timestamptz, receipt_handle = ${input.receiptHandle}
      where generation_id = ${input.generationId} and attempt = ${input.attempt} and status = 'running'
      returning id`),
  );
  return rows.length > 0;
}

/** The backend accepted the job: its id, and when. */
export async function recordSubmission(
  db: Executor,
  t: BackendAttemptTables,
  input: { generationId: string; attempt: number; backendId: string },
) {
  await db.execute(sql`
    update ${t.runs} set backend_id = ${input.backendId}, submitted_at = now()
    where generation_id = ${input.generationId} and attempt = ${input.attempt}`);
}

interface AttemptRow {
  generation_id: string;
  attempt: number;
  model: string;
  status: AwaitedAttempt['status'];
  current: boolean;
  backend_id: string | null;
  receipt_handle: string | null;
  started_at: unknown;
  deadline_at: unknown;
}

async function findOne(db: Executor, t: BackendAttemptTables, where: SQL) {
  const [row] = await rowsOf<AttemptRow>(
    db.execute(sql`
      select r.generation_id, r.attempt, g.model, r.status, r.backend_id, r.receipt_handle, r.started_at,
             r.deadline_at, (g.status = 'running' and g.attempts = r.attempt) as current
      from ${t.runs} r join ${t.generations} g on g.id = r.generation_id
      where ${where}`),
  );
  if (!row) return undefined;
  return {
    generationId: row.generation_id,
    attempt: row.attempt,
    model: row.model,
    status: row.status,
    current: row.current,
    backendId: row.backend_id,
    receiptHandle: row.receipt_handle,
    startedAt: toDate(row.started_at),
    deadlineAt: row.deadline_at === null ? null : toDate(row.deadline_at),
  } satisfies AwaitedAttempt;
}

export const findByCallbackToken = (db: Executor, t: BackendAttemptTables, tokenHash: string) =>
  findOne(db, t, sql`r.callback_token_hash = ${tokenHash}`);

export const findAttempt = (db: Executor, t: BackendAttemptTables, generationId: string, attempt: number) =>
  findOne(db, t, sql`r.generation_id = ${generationId} and r.attempt = ${attempt}`);

/** Running attempts whose deadline passed: maintenance closes each as a transient failure. */
export async function listExpired(
  db: Executor,
  t: BackendAttemptTables,
  now: Date,
  limit: number,
): Promise<ExpiredAttempt[]> {
  const rows = await rowsOf<{ generation_id: string; attempt: number; model: string; started_at: unknown }>(
    db.execute(sql`
      select r.generation_id, r.attempt, g.model, r.started_at
      from ${t.runs} r join ${t.generations} g on g.id = r.generation_id
      where r.status = 'running' and r.deadline_at is not null and r.deadline_at < ${now.toISOString()}::timestamptz
      order by r.deadline_at limit ${limit}`),
  );
  return rows.map((r) => ({
    generationId: r.generation_id,
    attempt: r.attempt,
    model: r.model,
    startedAt: toDate(r.started_at),
  }));
}
