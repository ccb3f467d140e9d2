import { FAILED_MESSAGE_STATUSES, type FailedMessageStatus } from '@genledger/core/contracts/failed-messages';
import type {
  FailedMessageSelector,
  StatusChange,
  StatusChangeCandidate,
  StatusChangePlan,
  StoredStatusChange,
} from '@genledger/core/use-cases/failed-messages/change-status';
import { sql } from 'drizzle-orm';
import { fromRow } from '../event-store.ts';
import { type Executor, rowsOf, toNumber } from '../executor.ts';
import { textArray } from '../sql-arrays.ts';
import type { FailedMessageContext, FailedMessageTables } from './context.ts';

const statusIn = (statuses: readonly FailedMessageStatus[]) => sql`fm.status = any(${textArray(statuses)})`;
/** `isEligible` in SQL, over a message aliased `fm`. */
const eligibleWhere = (eligible: StatusChange['eligible']) =>
  eligible.parsedOnly ? sql`${statusIn(eligible.from)} and not fm.invalid` : statusIn(eligible.from);

/** The messages a change looked at, locked, and what the walk of a group learnt on the way. */
interface Candidates {
  candidates: StatusChangeCandidate[];
  /** The last member handed out when the group walk goes on past it. */
  next: string | null;
  /** Eligible members of the group left beyond these candidates. */
  eligibleLeft: number;
  /** Members of the group the change skips without looking at them. */
  others: number;
  /** Whether the group exists (true by ids). */
  groupFound: boolean;
}

export interface StatusChangeOptions {
  requestedBy: string | null;
  metadata?: Record<string, unknown>;
}

/**
 * Locks the selected messages (a group's: its next `change.limit` eligible members), lets
 * `plan` (the use case's decision) pick the ones that change, and moves those to `change.to`
 * with a FailedMessageStatusChanged event each, in one transaction. With `retryBatch` it also
 * records the batch and puts the failed generations back to pending, each with its event.
 *
 * A group's members are walked in id order from `change.after` (the previous call's `next`):
 * without it a call late in a million-member group walked past every member earlier calls had
 * moved (5–7 s, docs/scale.md §8). `more` comes from the group's counters, not the walk, so a
 * member that joined behind the cursor (ids are hashes) still counts, and a walk that finds
 * nothing past the cursor starts again from the first member.
 */
export function changeStatus(
  ctx: FailedMessageContext,
  change: StatusChange,
  selector: FailedMessageSelector,
  plan: (candidates: readonly StatusChangeCandidate[]) => StatusChangePlan,
  options: StatusChangeOptions,
): Promise<StoredStatusChange> {
  return ctx.db.transaction(async (tx) => {
    // In id order, as every writer locks messages (see retention.ts).
    const { candidates, next, eligibleLeft, others, groupFound } =
      'ids' in selector
        ? await lockIds(tx, ctx.t, selector.ids)
        : await lockGroupWalk(tx, ctx.t, change, selector.groupId);
    const planned = plan(candidates);
    const { ids } = planned;
    const skipped = planned.skipped + others;
    const more = next !== null || eligibleLeft > 0;
    if (ids.length === 0) return { changed: 0, skipped, more, next, retryBatchId: null, groupFound };
    let retryBatchId: string | null = null;
    if (change.retryBatch) {
      retryBatchId = crypto.randomUUID();
      await tx.execute(sql`
        insert into ${ctx.t.batches} (id, requested_by, selector, status, total, skipped)
        values (${retryBatchId}, ${options.requestedBy}, ${JSON.stringify(selector)}::jsonb, 'pending', ${ids.length}, ${skipped})`);
    }
    await moveStatus(tx, ctx, ids, change.to, retryBatchId, options.metadata);
    // The failed generations wait for the re-sent message again.
    if (change.retryBatch) await requeueGenerations(tx, ctx, ids, retryBatchId, options.metadata);
    return { changed: ids.length, skipped, more, next, retryBatchId, groupFound };
  });
}

/** The messages named by id, locked. */
async function lockIds(tx: Executor, t: FailedMessageTables, ids: readonly string[]): Promise<Candidates> {
  const candidates = await rowsOf<StatusChangeCandidate>(
    tx.execute(sql`
      select fm.id, fm.status, fm.invalid from ${t.messages} fm
      where fm.id = any(${textArray(ids)}) order by fm.id for update`),
  );
  return { candidates, next: null, eligibleLeft: 0, others: 0, groupFound: true };
}

/**
 * A group's next `limit` eligible members after the cursor (one more tells whether the walk goes
 * on), through its membership in id order, locked; the others are counted, never locked.
 */
async function lockGroupWalk(
  tx: Executor,
  t: FailedMessageTables,
  change: StatusChange,
  groupId: string,
): Promise<Candidates> {
  const walk = (after: string) =>
    rowsOf<StatusChangeCandidate>(
      tx.execute(sql`
        select fm.id, fm.status, fm.invalid
        from ${t.members} m join ${t.messages} fm on fm.id = m.failed_message_id
        where m.group_id = ${groupId} and m.failed_message_id > ${after}
          -- The same bound on the messages' side: for a large group the planner merges the
          -- two in id order, and without it read every message before the cursor (3.9 s
          -- against 0.26 s for a page 80 % into a million-member group).
          and fm.id > ${after} and ${eligibleWhere(change.eligible)}
        order by m.failed_message_id limit ${change.limit + 1} for update of fm`),
    );
  let candidates = await walk(change.after ?? '');
  // Nothing past the cursor, yet the counters have eligible members: ones that came before
  // it (a member dead-lettered since, or unarchived): walk from the start.
  if (
    candidates.length === 0 &&
    change.after &&
    (await memberCounts(tx, t, groupId, change.eligible)).eligible > 0
  )
    candidates = await walk('');
  // Counted once the walk holds its members: a statement after it sees what every writer it
  // waited for committed. Counted before, a concurrent operator's change of the same members
  // left this one no candidate and counters saying nothing was skipped: "not found or
  // empty" for a group that had members (test/db/failure-group-concurrency.test.ts).
  const counts = await memberCounts(tx, t, groupId, change.eligible);
  let next: string | null = null;
  if (candidates.length > change.limit) {
    candidates.pop();
    next = candidates[candidates.length - 1]!.id;
  }
  return {
    candidates,
    next,
    eligibleLeft: counts.eligible - candidates.length,
    others: counts.ineligible,
    groupFound: counts.found,
  };
}

/**
 * A group's members a change may move and those it skips, from the group's counters (migration
 * 0005), less for a retry the never-parsed ones, found through their partial index (migration
 * 0009). Counting them from the members read every member of a large group.
 */
async function memberCounts(
  tx: Executor,
  t: FailedMessageTables,
  groupId: string,
  eligible: StatusChange['eligible'],
) {
  const sum = (statuses: readonly FailedMessageStatus[]) =>
    statuses.length
      ? sql.join(
          statuses.map((s) => sql`g.${sql.raw(`${s}_count`)}`),
          sql` + `,
        )
      : sql`0`;
  const invalid = eligible.parsedOnly
    ? sql`(select count(*) from ${t.messages} fm
           join ${t.members} m on m.failed_message_id = fm.id and m.group_id = g.id
           where fm.invalid and ${statusIn(eligible.from)})`
    : sql`0`;
  const [row] = await rowsOf<{
    from_statuses: string | number;
    others: string | number;
    invalid: string | number;
  }>(
    tx.execute(sql`
      select ${sum(eligible.from)} as from_statuses,
             ${sum(FAILED_MESSAGE_STATUSES.filter((s) => !eligible.from.includes(s)))} as others,
             ${invalid} as invalid
      from ${t.groups} g where g.id = ${groupId}`),
  );
  const invalidCount = toNumber(row?.invalid ?? 0);
  return {
    found: row !== undefined,
    eligible: toNumber(row?.from_statuses ?? 0) - invalidCount,
    ineligible: toNumber(row?.others ?? 0) + invalidCount,
  };
}

/** Moves the messages `ids` to `to`, each with its FailedMessageStatusChanged event. */
export async function moveStatus(
  tx: Executor,
  ctx: FailedMessageContext,
  ids: readonly string[],
  to: FailedMessageStatus,
  retryBatchId: string | null,
  metadata: Record<string, unknown> | undefined,
): Promise<void> {
  await tx.execute(sql`
    with old as (
      select id, status from ${ctx.t.messages} where id = any(${textArray(ids)})
    ), u as (
      update ${ctx.t.messages} fm set status = ${to}, status_changed_at = now(),
             retry_batch_id = ${retryBatchId}, retry_sent_at = null
      from old where fm.id = old.id
      returning fm.id, old.status as previous
    )
    ${ctx.events.appendForEach('u', {
      stream: { kind: 'failedMessage', id: fromRow('u.id') },
      event: {
        type: 'FailedMessageStatusChanged',
        failedMessageId: fromRow('u.id'),
        from: fromRow('u.previous'),
        to,
        retryBatchId,
      },
      metadata,
    })}`);
}

/** The failed generations of the messages `ids` back to pending, each with its GenerationRequeued event. */
async function requeueGenerations(
  tx: Executor,
  ctx: FailedMessageContext,
  ids: readonly string[],
  retryBatchId: string | null,
  metadata: Record<string, unknown> | undefined,
): Promise<void> {
  await tx.execute(sql`
    with g as (
      update ${ctx.t.generations} set status = 'pending', completed_at = null, error_message = null, updated_at = now()
      where id in (select generation_id from ${ctx.t.messages} where id = any(${textArray(ids)}))
        and status = 'failed'
      returning id, model
    )
    ${ctx.events.appendForEach('g', {
      stream: { kind: 'generation', id: fromRow('g.id') },
      event: {
        type: 'GenerationRequeued',
        generationId: fromRow('g.id'),
        model: fromRow('g.model'),
        retryBatchId,
      },
      metadata,
    })}`);
}
