import { type DomainEvent, streams } from '@genledger/core/contracts/events';
import {
  FAILED_MESSAGE_STATUSES,
  type FailedMessageDetail,
  type FailedMessageStatus,
  type FailedMessageSummary,
  type FailureGroup,
  MAX_STORED_BODY_BYTES,
} from '@genledger/core/contracts/failed-messages';
import { toStorableString } from '@genledger/core/contracts/storable';
import { classify, failedMessageId, failureGroupId } from '@genledger/core/failure-classification';
import type {
  FailedMessageSelector,
  FailedMessageStatusChanges,
  StatusChange,
  StatusChangeCandidate,
  StatusChangeOutcome,
  StatusChangePlan,
} from '@genledger/core/use-cases/failed-messages/change-status';
import {
  type DeadLetterRecord,
  deadLetterCause,
  deadLetteredGenerationError,
} from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import { type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from './connect.ts';
import { type EventStore, fromRow } from './event-store.ts';
import { type Executor, executePrepared, rowsOf, toNumber } from './executor.ts';
import { GENERATED_SCHEMA, tablesFor } from './schema/tables.ts';
import { rowDecoder } from './table-rows.ts';

export interface IngestResult {
  id: string;
  newAttempt: boolean;
  status: FailedMessageStatus;
  generationFailed: boolean;
}

export interface FailedMessageFilter {
  statuses: FailedMessageStatus[];
  groupId?: string;
  q?: string;
  from?: Date;
  to?: Date;
}

export interface FailedMessageKeyset {
  value: string;
  id: string;
}

const SUMMARY_COLUMNS = sql.raw(
  'id, status, message_type, message_id, generation_id, model, invalid, body_truncated, attempt_count, first_failed_at, last_failed_at, status_changed_at, last_error_type, last_error_message, retry_batch_id',
);

type Row = Record<string, unknown>;
const tables = tablesFor(GENERATED_SCHEMA);
const decodeMessage = rowDecoder(tables.failedMessages);
const decodeAttempt = rowDecoder(tables.failedMessageAttempts);
const decodeGroup = rowDecoder(tables.failureGroups);

function toSummary(raw: Row): FailedMessageSummary {
  const m = decodeMessage(raw);
  return {
    id: m.id,
    status: m.status,
    messageType: m.messageType,
    messageId: m.messageId,
    generationId: m.generationId,
    model: m.model,
    invalid: m.invalid,
    bodyTruncated: m.bodyTruncated,
    attemptCount: m.attemptCount,
    firstFailedAt: m.firstFailedAt.toISOString(),
    lastFailedAt: m.lastFailedAt.toISOString(),
    statusChangedAt: m.statusChangedAt.toISOString(),
    lastError: { type: m.lastErrorType, message: m.lastErrorMessage },
    retryBatchId: m.retryBatchId,
  };
}

/**
 * One bound `text[]` parameter: the driver encodes the array, so no id is ever pasted into SQL or
 * into an array literal (a quote, comma or backslash in an id is just a character of it).
 */
const textArray = (values: readonly string[]): SQL => sql`${sql.param([...values])}::text[]`;
const statusIn = (statuses: readonly FailedMessageStatus[]) => sql`fm.status = any(${textArray(statuses)})`;
/** `isEligible` in SQL, over a message aliased `fm`. */
const eligibleWhere = (eligible: StatusChange['eligible']) =>
  eligible.parsedOnly ? sql`${statusIn(eligible.from)} and not fm.invalid` : statusIn(eligible.from);

/** Cuts a body to at most `max` bytes of UTF-8 without splitting a character. */
export function truncateUtf8(
  body: string,
  max = MAX_STORED_BODY_BYTES,
): { body: string; truncated: boolean } {
  if (Buffer.byteLength(body) <= max) return { body, truncated: false };
  let cut = Buffer.from(body).subarray(0, max).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return { body: cut, truncated: true };
}

/**
 * The failed-message store: what the dead-letter queue hands over, grouped by cause, with one
 * attempt row per dead-lettering, and the operations operators run on it.
 */
export class FailedMessageStore implements FailedMessageStatusChanges {
  private readonly t: Record<
    'messages' | 'attempts' | 'groups' | 'members' | 'runs' | 'generations' | 'batches',
    PgTable
  >;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    private readonly events: EventStore,
  ) {
    const t = tablesFor(database.schema);
    this.t = {
      messages: t.failedMessages,
      attempts: t.failedMessageAttempts,
      groups: t.failureGroups,
      members: t.failureGroupMembers,
      runs: t.generationRuns,
      generations: t.generations,
      batches: t.retryBatches,
    };
  }

  /**
   * Records one dead-lettering in one transaction: the message (upserted under its deterministic
   * id), its attempt with the last run's error, its groups, and — for a generation still open —
   * the generation failed, each with its event. A duplicate DLQ delivery adds nothing.
   */
  async ingest(input: DeadLetterRecord): Promise<IngestResult> {
    const id = failedMessageId(input.generationId, input.body);
    // SQS never carries NUL or unpaired surrogates, but a body that did must still be recorded.
    const { body, truncated } = truncateUtf8(toStorableString(input.body));
    return this.database.db.transaction(async (tx) => {
      let model = input.model;
      let lastFailedRun: Parameters<typeof deadLetterCause>[1];
      if (!input.invalidReason && input.generationId) {
        const [run] = await rowsOf<{
          error_type: string | null;
          error_message: string | null;
          error_stack: string | null;
          model: string | null;
        }>(
          tx.execute(sql`
            select r.error_type, r.error_message, r.error_stack, g.model
            from ${this.t.generations} g
            left join lateral (select * from ${this.t.runs} r where r.generation_id = g.id and r.status = 'failed'
                               order by r.attempt desc limit 1) r on true
            where g.id = ${input.generationId}`),
        );
        model ??= run?.model ?? null;
        lastFailedRun = run && {
          errorType: run.error_type,
          errorMessage: run.error_message,
          errorStack: run.error_stack,
        };
      }
      const error = deadLetterCause(input, lastFailedRun);
      const failedAt = input.failedAt.toISOString();
      await tx.execute(sql`
        insert into ${this.t.messages} (id, status, message_id, message_type, generation_id, model, body, body_truncated,
                                        attributes, invalid, first_failed_at, last_failed_at, attempt_count, status_changed_at)
        values (${id}, 'unresolved', ${input.messageId}, ${input.messageType}, ${input.generationId}, ${model}, ${body}, ${truncated},
                ${JSON.stringify(input.attributes)}::jsonb, ${input.invalidReason !== null}, ${failedAt}, ${failedAt}, 0, now())
        on conflict (id) do nothing`);
      const [attempt] = await rowsOf<{ id: unknown }>(
        tx.execute(sql`
          insert into ${this.t.attempts} (failed_message_id, message_id, failed_at, receive_count, queue, error_type, error_message, error_stack)
          values (${id}, ${input.messageId}, ${failedAt}, ${input.receiveCount}, ${input.queue.slice(0, 500)},
                  ${error.type.slice(0, 200)}, ${error.message.slice(0, 2000)}, ${error.stack})
          on conflict (failed_message_id, message_id) do nothing
          returning id`),
      );
      if (!attempt) {
        const [current] = await rowsOf<{ status: FailedMessageStatus }>(
          tx.execute(sql`select status from ${this.t.messages} where id = ${id}`),
        );
        return { id, newAttempt: false, status: current!.status, generationFailed: false };
      }
      // A message failing again — after a retry, or after it was archived — needs looking at again.
      const [updated] = await rowsOf<{ status: FailedMessageStatus; previous: FailedMessageStatus }>(
        tx.execute(sql`
          update ${this.t.messages} fm set
            attempt_count = fm.attempt_count + 1,
            last_failed_at = greatest(fm.last_failed_at, ${failedAt}::timestamptz),
            first_failed_at = least(fm.first_failed_at, ${failedAt}::timestamptz),
            message_id = ${input.messageId}, body = ${body}, body_truncated = ${truncated},
            attributes = ${JSON.stringify(input.attributes)}::jsonb, model = coalesce(${model}, fm.model),
            last_error_type = ${error.type.slice(0, 200)}, last_error_message = ${error.message.slice(0, 2000)},
            last_error_stack = ${error.stack},
            status = 'unresolved',
            status_changed_at = case when fm.status = 'unresolved' and fm.attempt_count > 0 then fm.status_changed_at else now() end,
            retry_batch_id = null, retry_sent_at = null
          from (select status from ${this.t.messages} where id = ${id}) old
          where fm.id = ${id}
          returning fm.status, old.status as previous`),
      );
      const groups = classify({
        errorType: error.type,
        stack: error.stack,
        messageType: input.messageType,
        model,
      });
      const groupRows = groups
        .map((g) => ({ id: failureGroupId(g), classifier: g.classifier, title: g.title.slice(0, 500) }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      // The groups this message leaves and joins, locked before their counters move: a concurrent
      // status change over the same groups waits instead of deadlocking with this delivery.
      await this.lockGroups(
        tx,
        textArray([id]),
        groupRows.map((g) => g.id),
      );
      // Only the groups it leaves: a message failing again the same way keeps its memberships, so
      // neither the group counters (0005) nor the per-day counts (0010) move its past attempts
      // off a group and back on again.
      await tx.execute(sql`
        delete from ${this.t.members}
        where failed_message_id = ${id} and group_id <> all(${textArray(groupRows.map((g) => g.id))})`);
      await tx.execute(sql`
        insert into ${this.t.groups} (id, classifier, title, first_failed_at, last_failed_at)
        select x.id, x.classifier, x.title, ${failedAt}::timestamptz, ${failedAt}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(groupRows)}::jsonb) as x(id text, classifier text, title text)
        order by x.id
        on conflict (id) do update set
          first_failed_at = least(${this.t.groups}.first_failed_at, excluded.first_failed_at),
          last_failed_at = greatest(${this.t.groups}.last_failed_at, excluded.last_failed_at)`);
      await tx.execute(sql`
        insert into ${this.t.members} (group_id, failed_message_id)
        select x.id, ${id} from jsonb_to_recordset(${JSON.stringify(groupRows)}::jsonb) as x(id text)
        on conflict do nothing`);

      const events: { streamId: string; event: DomainEvent }[] = [
        {
          streamId: streams.failedMessage(id),
          event: {
            type: 'MessageDeadLettered',
            failedMessageId: id,
            generationId: input.generationId,
            messageType: input.messageType,
            receiveCount: input.receiveCount,
            queue: input.queue,
          },
        },
      ];
      let generationFailed = false;
      if (input.generationId) {
        const [g] = await rowsOf<{ model: string; attempts: number }>(
          tx.execute(sql`
            update ${this.t.generations} set status = 'failed', completed_at = now(), updated_at = now(),
                   error_message = ${deadLetteredGenerationError(input.receiveCount, error).slice(0, 2000)}
            where id = ${input.generationId} and status in ('pending', 'running')
            returning model, attempts`),
        );
        if (g) {
          generationFailed = true;
          // An attempt still running (its worker lost) ends with the generation, not open forever.
          await tx.execute(sql`
            update ${this.t.runs} set status = 'failed', completed_at = now(),
                   duration_ms = greatest(0, round(extract(epoch from (now() - started_at)) * 1000))::int,
                   error_type = 'DeadLettered', error_message = 'the message was dead-lettered while this attempt ran'
            where generation_id = ${input.generationId} and status = 'running'`);
          events.push({
            streamId: streams.generation(input.generationId),
            event: {
              type: 'GenerationFailed',
              generationId: input.generationId,
              model: g.model,
              attempts: g.attempts,
              reason: input.invalidReason ? 'invalid-message' : 'dead-lettered',
              error: { type: error.type.slice(0, 200), message: error.message.slice(0, 2000) },
              durationMs: null,
            },
          });
        }
      }
      if (updated!.previous !== 'unresolved') {
        events.push({
          streamId: streams.failedMessage(id),
          event: {
            type: 'FailedMessageStatusChanged',
            failedMessageId: id,
            from: updated!.previous,
            to: 'unresolved',
          },
        });
      }
      await this.events.appendAll(events, { tx });
      return { id, newAttempt: true, status: updated!.status, generationFailed };
    });
  }

  async list(
    filter: FailedMessageFilter,
    sort: { field: 'lastFailedAt' | 'firstFailedAt'; descending: boolean },
    limit: number,
    after?: FailedMessageKeyset,
  ) {
    const col = sql.raw(sort.field === 'lastFailedAt' ? 'last_failed_at' : 'first_failed_at');
    const dir = sql.raw(sort.descending ? 'desc' : 'asc');
    const cmp = sql.raw(sort.descending ? '<' : '>');
    const where: SQL[] = [sql`status in (select unnest(${`{${filter.statuses.join(',')}}`}::text[]))`];
    if (filter.groupId)
      where.push(
        sql`id in (select failed_message_id from ${this.t.members} where group_id = ${filter.groupId})`,
      );
    if (filter.q) where.push(sql`search @@ websearch_to_tsquery('english', ${filter.q})`);
    if (filter.from) where.push(sql`last_failed_at >= ${filter.from.toISOString()}::timestamptz`);
    if (filter.to) where.push(sql`last_failed_at < ${filter.to.toISOString()}::timestamptz`);
    if (after) where.push(sql`(${col}, id) ${cmp} (${after.value}::timestamptz, ${after.id})`);
    const rows = await executePrepared<Row>(
      this.database.db,
      'gl_fm_list',
      sql`select ${SUMMARY_COLUMNS}, ${col}::text as sort_key from ${this.t.messages}
          where ${sql.join(where, sql` and `)}
          order by ${col} ${dir}, id ${dir} limit ${limit + 1}`,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toSummary),
      next: rows.length > limit && last ? { value: String(last.sort_key), id: String(last.id) } : undefined,
    };
  }

  async get(id: string): Promise<FailedMessageDetail | undefined> {
    const [row] = await rowsOf<Row>(
      this.database.db.execute(
        sql`select ${SUMMARY_COLUMNS}, body, attributes, last_error_stack from ${this.t.messages} where id = ${id}`,
      ),
    );
    if (!row) return undefined;
    const attempts = await rowsOf<Row>(
      this.database.db.execute(sql`
        select message_id, failed_at, receive_count, queue, error_type, error_message, error_stack
        from ${this.t.attempts} where failed_message_id = ${id} order by failed_at, id`),
    );
    const groups = await rowsOf<Row>(
      this.database.db.execute(sql`
        select g.id, g.classifier, g.title from ${this.t.groups} g join ${this.t.members} m on m.group_id = g.id
        where m.failed_message_id = ${id} order by g.classifier`),
    );
    const m = decodeMessage(row);
    return {
      ...toSummary(row),
      body: m.body,
      attributes: (m.attributes as Record<string, unknown> | null) ?? {},
      lastErrorStack: m.lastErrorStack,
      groups: groups.map((g) => ({
        id: String(g.id),
        classifier: String(g.classifier),
        title: String(g.title),
      })),
      attempts: attempts.map(decodeAttempt).map((a) => ({
        messageId: a.messageId,
        failedAt: a.failedAt.toISOString(),
        receiveCount: a.receiveCount,
        queue: a.queue,
        errorType: a.errorType,
        errorMessage: a.errorMessage,
        errorStack: a.errorStack,
      })),
    };
  }

  async groups(): Promise<FailureGroup[]> {
    const rows = await rowsOf<Row & { count: number; unresolved: number; retry_issued: number }>(
      this.database.db.execute(sql`
        select g.id, g.classifier, g.title, g.first_failed_at, g.last_failed_at,
               g.unresolved_count + g.retry_issued_count + g.resolved_count as count,
               g.unresolved_count as unresolved, g.retry_issued_count as retry_issued
        from ${this.t.groups} g
        where g.unresolved_count + g.retry_issued_count + g.resolved_count > 0
        order by g.last_failed_at desc, g.id`),
    );
    return rows.map((r) => {
      const g = decodeGroup(r);
      return {
        id: g.id,
        classifier: g.classifier,
        title: g.title,
        count: r.count,
        unresolved: r.unresolved,
        retryIssued: r.retry_issued,
        firstFailedAt: g.firstFailedAt.toISOString(),
        lastFailedAt: g.lastFailedAt.toISOString(),
      };
    });
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
  async changeStatus(
    change: StatusChange,
    selector: FailedMessageSelector,
    plan: (candidates: readonly StatusChangeCandidate[]) => StatusChangePlan,
    options: { requestedBy: string | null; metadata?: Record<string, unknown> },
  ): Promise<StatusChangeOutcome> {
    const { to } = change;
    return this.database.db.transaction(async (tx) => {
      // In id order, as every writer locks messages (see deleteExpired).
      let candidates: StatusChangeCandidate[];
      let next: string | null = null;
      let eligibleLeft = 0;
      let others = 0;
      if ('ids' in selector) {
        candidates = await rowsOf<StatusChangeCandidate>(
          tx.execute(sql`
            select fm.id, fm.status, fm.invalid from ${this.t.messages} fm
            where fm.id = any(${textArray(selector.ids)}) order by fm.id for update`),
        );
      } else {
        // A group's next `limit` eligible members after the cursor (one more tells whether the
        // walk goes on), through its membership in id order; the others are counted, never locked.
        const walk = (after: string) =>
          rowsOf<StatusChangeCandidate>(
            tx.execute(sql`
              select fm.id, fm.status, fm.invalid
              from ${this.t.members} m join ${this.t.messages} fm on fm.id = m.failed_message_id
              where m.group_id = ${selector.groupId} and m.failed_message_id > ${after}
                -- The same bound on the messages' side: for a large group the planner merges the
                -- two in id order, and without it read every message before the cursor (3.9 s
                -- against 0.26 s for a page 80 % into a million-member group).
                and fm.id > ${after} and ${eligibleWhere(change.eligible)}
              order by m.failed_message_id limit ${change.limit + 1} for update of fm`),
          );
        candidates = await walk(change.after ?? '');
        // Nothing past the cursor, yet the counters have eligible members: ones that came before
        // it (a member dead-lettered since, or unarchived): walk from the start.
        if (
          candidates.length === 0 &&
          change.after &&
          (await this.memberCounts(tx, selector.groupId, change.eligible)).eligible > 0
        )
          candidates = await walk('');
        // Counted once the walk holds its members: a statement after it sees what every writer it
        // waited for committed. Counted before, a concurrent operator's change of the same members
        // left this one no candidate and counters saying nothing was skipped: "not found or
        // empty" for a group that had members (test/db/failure-group-counts.test.ts).
        const counts = await this.memberCounts(tx, selector.groupId, change.eligible);
        if (candidates.length > change.limit) {
          candidates.pop();
          next = candidates[candidates.length - 1]!.id;
        }
        eligibleLeft = counts.eligible - candidates.length;
        others = counts.ineligible;
      }
      const planned = plan(candidates);
      const { ids } = planned;
      const skipped = planned.skipped + others;
      const more = next !== null || eligibleLeft > 0;
      if (ids.length === 0) return { changed: 0, skipped, more, next, retryBatchId: null };
      let retryBatchId: string | null = null;
      if (change.retryBatch) {
        retryBatchId = crypto.randomUUID();
        await tx.execute(sql`
          insert into ${this.t.batches} (id, requested_by, selector, status, total, skipped)
          values (${retryBatchId}, ${options.requestedBy}, ${JSON.stringify(selector)}::jsonb, 'pending', ${ids.length}, ${skipped})`);
      }
      await tx.execute(sql`
        with old as (
          select id, status from ${this.t.messages} where id = any(${textArray(ids)})
        ), u as (
          update ${this.t.messages} fm set status = ${to}, status_changed_at = now(),
                 retry_batch_id = ${retryBatchId}, retry_sent_at = null
          from old where fm.id = old.id
          returning fm.id, old.status as previous
        )
        ${this.events.appendForEach('u', {
          stream: { kind: 'failedMessage', id: fromRow('u.id') },
          event: {
            type: 'FailedMessageStatusChanged',
            failedMessageId: fromRow('u.id'),
            from: fromRow('u.previous'),
            to,
            retryBatchId,
          },
          metadata: options.metadata,
        })}`);
      if (change.retryBatch) {
        // The failed generations wait for the re-sent message again.
        await tx.execute(sql`
          with g as (
            update ${this.t.generations} set status = 'pending', completed_at = null, error_message = null, updated_at = now()
            where id in (select generation_id from ${this.t.messages} where id = any(${textArray(ids)}))
              and status = 'failed'
            returning id, model
          )
          ${this.events.appendForEach('g', {
            stream: { kind: 'generation', id: fromRow('g.id') },
            event: {
              type: 'GenerationRequeued',
              generationId: fromRow('g.id'),
              model: fromRow('g.model'),
              retryBatchId,
            },
            metadata: options.metadata,
          })}`);
      }
      return { changed: ids.length, skipped, more, next, retryBatchId };
    });
  }

  /**
   * A group's members a change may move and those it skips, from the group's counters (migration
   * 0005), less for a retry the never-parsed ones, found through their partial index (migration
   * 0009). Counting them from the members read every member of a large group.
   */
  private async memberCounts(tx: Executor, groupId: string, eligible: StatusChange['eligible']) {
    const sum = (statuses: readonly FailedMessageStatus[]) =>
      statuses.length
        ? sql.join(
            statuses.map((s) => sql`g.${sql.raw(`${s}_count`)}`),
            sql` + `,
          )
        : sql`0`;
    const invalid = eligible.parsedOnly
      ? sql`(select count(*) from ${this.t.messages} fm
             join ${this.t.members} m on m.failed_message_id = fm.id and m.group_id = g.id
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
        from ${this.t.groups} g where g.id = ${groupId}`),
    );
    const invalidCount = toNumber(row?.invalid ?? 0);
    return {
      eligible: toNumber(row?.from_statuses ?? 0) - invalidCount,
      ineligible: toNumber(row?.others ?? 0) + invalidCount,
    };
  }

  /**
   * Deletes resolved and archived messages whose status is older than `days`, `chunk` at a time
   * (short transactions, no long locks), never unresolved or retry-issued ones; then groups left
   * without members.
   *
   * Each chunk takes its locks in the order every other writer does: its messages in id order,
   * then their groups in id order, then deletes (the delete trigger moves counters on groups it
   * already holds). Deleting straight away locked a message, then its groups, then the next
   * message: against a status change holding those messages and waiting for the same groups,
   * Postgres broke the deadlock by failing one of the two (test/db/failure-group-counts.test.ts).
   */
  async deleteExpired(days: number, chunk = 1000): Promise<{ deleted: number; groupsDeleted: number }> {
    const expired = sql`status in ('resolved', 'archived') and status_changed_at < now() - make_interval(days => ${days})`;
    let deleted = 0;
    for (;;) {
      // Found through the expiry index (its order), then locked in id order, each still expired:
      // a message another writer just changed is skipped, and the loop goes on while any are found.
      const candidates = await rowsOf<{ id: string }>(
        this.database.db.execute(sql`select id from ${this.t.messages} where ${expired} limit ${chunk}`),
      );
      if (candidates.length === 0) break;
      const removed = await this.database.db.transaction(async (tx) => {
        const locked = await rowsOf<{ id: string }>(
          tx.execute(sql`
            select id from ${this.t.messages}
            where id = any(${textArray(candidates.map((c) => c.id))}) and ${expired}
            order by id for update`),
        );
        if (locked.length === 0) return 0;
        const ids = textArray(locked.map((r) => r.id));
        await this.lockGroups(tx, ids);
        const rows = await rowsOf<{ id: string }>(
          tx.execute(sql`delete from ${this.t.messages} where id = any(${ids}) returning id`),
        );
        return rows.length;
      });
      deleted += removed;
      if (candidates.length < chunk) break;
    }
    // Groups left without members, each locked first and skipped when another writer holds it
    // (an ingest locks a group before it adds a member); then deleted by a second statement, whose
    // snapshot, taken once the locks are held, sees a member any writer committed before them.
    // Deleting a group being joined would cascade its new member away
    // (test/db/failure-group-counts.test.ts).
    const groupsDeleted = await this.database.db.transaction(async (tx) => {
      const empty = await rowsOf<{ id: string }>(
        tx.execute(sql`
          select g.id from ${this.t.groups} g
          where not exists (select 1 from ${this.t.members} m where m.group_id = g.id)
          for update skip locked`),
      );
      if (empty.length === 0) return 0;
      const rows = await rowsOf<{ id: string }>(
        tx.execute(sql`
          delete from ${this.t.groups} g
          where g.id = any(${textArray(empty.map((g) => g.id))})
            and not exists (select 1 from ${this.t.members} m where m.group_id = g.id)
          returning id`),
      );
      return rows.length;
    });
    return { deleted, groupsDeleted };
  }

  /**
   * Locks, in id order, the groups of `messages` (an SQL text array) and the groups `alsoIds`:
   * every writer locks groups in id order once it holds its messages, as migration 0005's
   * counter triggers do, so two writers over the same groups wait instead of deadlocking.
   */
  private async lockGroups(tx: Executor, messages: SQL, alsoIds: readonly string[] = []): Promise<void> {
    await tx.execute(sql`
      select 1 from ${this.t.groups}
      where id in (select group_id from ${this.t.members} where failed_message_id = any(${messages}))
         or id = any(${textArray(alsoIds)})
      order by id for update`);
  }

  /** For tests and the bench: rows as stored. */
  statusCounts(tx: Executor = this.database.db) {
    return rowsOf<{ status: string; n: number }>(
      tx.execute(sql`select status, count(*)::int as n from ${this.t.messages} group by status`),
    ).then((rows) => Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>);
  }
}
