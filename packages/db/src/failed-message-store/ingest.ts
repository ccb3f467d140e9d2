import { type DomainEvent, streams } from '@genledger/core/contracts/events';
import type { FailedMessageStatus } from '@genledger/core/contracts/failed-messages';
import { toStorableString } from '@genledger/core/contracts/storable';
import { classify, failedMessageId, failureGroupId } from '@genledger/core/failure-classification';
import {
  type DeadLetterCause,
  type DeadLetterRecord,
  deadLetterCause,
  deadLetteredGenerationError,
} from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import { ATTEMPT_CLOSED_BY, closeRunningAttempts, failOpenGeneration } from '../generation-transitions.ts';
import { MAX_GROUP_TITLE_LENGTH, MAX_QUEUE_LENGTH } from '../schema/limits.ts';
import { textArray } from '../sql-arrays.ts';
import { storedError, truncateUtf8 } from '../stored-text.ts';
import type { FailedMessageContext, FailedMessageTables } from './context.ts';
import { lockGroups } from './lock-groups.ts';
import { groupSpikes } from './spikes.ts';

export interface IngestResult {
  id: string;
  newAttempt: boolean;
  status: FailedMessageStatus;
  generationFailed: boolean;
  /** The groups the message is in now (empty for a duplicate delivery): what operational events name. */
  groupIds: string[];
}

type NewEvent = { streamId: string; event: DomainEvent };

/** One dead-lettering as the steps of an ingest write it. */
interface Delivery {
  id: string;
  input: DeadLetterRecord;
  /** The body as stored: storable, and cut to MAX_STORED_BODY_BYTES. */
  body: string;
  truncated: boolean;
  model: string | null;
  error: DeadLetterCause;
  failedAt: string;
}

/**
 * Records one dead-lettering in one transaction: the message (upserted under its deterministic
 * id), its attempt with the last run's error, its groups, and — for a generation still open —
 * the generation failed, each with its event. A duplicate DLQ delivery adds nothing.
 *
 * The steps run in a fixed order: the message row first, then its groups in id order
 * (lock-groups.ts: the order migration 0005's and 0010's triggers keep), then the generation and
 * its run. Reordering them changes which locks an ingest holds while it waits for the next.
 */
export async function ingest(ctx: FailedMessageContext, input: DeadLetterRecord): Promise<IngestResult> {
  const id = failedMessageId(input.generationId, input.body);
  // SQS never carries NUL or unpaired surrogates, but a body that did must still be recorded.
  const { body, truncated } = truncateUtf8(toStorableString(input.body));
  return ctx.db.transaction(async (tx) => {
    const { model, lastFailedRun } = await generationOf(tx, ctx.t, input);
    const error = deadLetterCause(input, lastFailedRun);
    const delivery: Delivery = {
      id,
      input,
      body,
      truncated,
      model,
      error,
      failedAt: input.failedAt.toISOString(),
    };
    await insertMessage(tx, ctx.t, delivery);
    if (!(await insertAttempt(tx, ctx.t, delivery))) {
      const [current] = await rowsOf<{ status: FailedMessageStatus }>(
        tx.execute(sql`select status from ${ctx.t.messages} where id = ${id}`),
      );
      return { id, newAttempt: false, status: current!.status, generationFailed: false, groupIds: [] };
    }
    const updated = await reopenMessage(tx, ctx.t, delivery);
    const groups = await regroup(tx, ctx.t, delivery);
    const events: NewEvent[] = [
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
    const failed = await failGeneration(tx, ctx.t, delivery);
    if (failed) events.push(failed);
    if (updated.previous !== 'unresolved') {
      events.push({
        streamId: streams.failedMessage(id),
        event: {
          type: 'FailedMessageStatusChanged',
          failedMessageId: id,
          from: updated.previous,
          to: 'unresolved',
        },
      });
    }
    events.push(...groups.created, ...(await groupSpikes(tx, ctx.t, groups.ids, delivery.failedAt)));
    await ctx.events.appendAll(events, { tx });
    return {
      id,
      newAttempt: true,
      status: updated.status,
      generationFailed: failed !== undefined,
      groupIds: groups.ids,
    };
  });
}

/** The model of a parsed message's generation, and its last failed run (why the message failed). */
async function generationOf(tx: Executor, t: FailedMessageTables, input: DeadLetterRecord) {
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
        from ${t.generations} g
        left join lateral (select * from ${t.runs} r where r.generation_id = g.id and r.status = 'failed'
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
  return { model, lastFailedRun };
}

/** The message under its deterministic id, unless it is there already (`reopenMessage` updates it). */
async function insertMessage(tx: Executor, t: FailedMessageTables, d: Delivery): Promise<void> {
  const { input } = d;
  await tx.execute(sql`
    insert into ${t.messages} (id, status, message_id, message_type, generation_id, model, body, body_truncated,
                               attributes, invalid, first_failed_at, last_failed_at, attempt_count, status_changed_at)
    values (${d.id}, 'unresolved', ${input.messageId}, ${input.messageType}, ${input.generationId}, ${d.model}, ${d.body}, ${d.truncated},
            ${JSON.stringify(input.attributes)}::jsonb, ${input.invalidReason !== null}, ${d.failedAt}, ${d.failedAt}, 0, now())
    on conflict (id) do nothing`);
}

/** The dead-lettering's attempt row; false when this DLQ delivery was recorded before. */
async function insertAttempt(tx: Executor, t: FailedMessageTables, d: Delivery): Promise<boolean> {
  const { input } = d;
  const error = storedError(d.error);
  const [attempt] = await rowsOf<{ id: unknown }>(
    tx.execute(sql`
      insert into ${t.attempts} (failed_message_id, message_id, failed_at, receive_count, queue, error_type, error_message, error_stack)
      values (${d.id}, ${input.messageId}, ${d.failedAt}, ${input.receiveCount}, ${input.queue.slice(0, MAX_QUEUE_LENGTH)},
              ${error.type}, ${error.message}, ${d.error.stack})
      on conflict (failed_message_id, message_id) do nothing
      returning id`),
  );
  return attempt !== undefined;
}

/** A message failing again — after a retry, or after it was archived — needs looking at again. */
async function reopenMessage(
  tx: Executor,
  t: FailedMessageTables,
  d: Delivery,
): Promise<{ status: FailedMessageStatus; previous: FailedMessageStatus }> {
  const { input } = d;
  const error = storedError(d.error);
  const [updated] = await rowsOf<{ status: FailedMessageStatus; previous: FailedMessageStatus }>(
    tx.execute(sql`
      update ${t.messages} fm set
        attempt_count = fm.attempt_count + 1,
        last_failed_at = greatest(fm.last_failed_at, ${d.failedAt}::timestamptz),
        first_failed_at = least(fm.first_failed_at, ${d.failedAt}::timestamptz),
        message_id = ${input.messageId}, body = ${d.body}, body_truncated = ${d.truncated},
        attributes = ${JSON.stringify(input.attributes)}::jsonb, model = coalesce(${d.model}, fm.model),
        last_error_type = ${error.type}, last_error_message = ${error.message},
        last_error_stack = ${d.error.stack},
        status = 'unresolved',
        status_changed_at = case when fm.status = 'unresolved' and fm.attempt_count > 0 then fm.status_changed_at else now() end,
        retry_batch_id = null, retry_sent_at = null
      from (select status from ${t.messages} where id = ${d.id}) old
      where fm.id = ${d.id}
      returning fm.status, old.status as previous`),
  );
  return updated!;
}

/**
 * Moves the message to the groups its failure classifies it in, creating groups it is the first of:
 * its groups' ids, and a FailureGroupCreated event for each group created.
 */
async function regroup(
  tx: Executor,
  t: FailedMessageTables,
  d: Delivery,
): Promise<{ ids: string[]; created: NewEvent[] }> {
  const groups = classify({
    errorType: d.error.type,
    stack: d.error.stack,
    messageType: d.input.messageType,
    model: d.model,
  });
  const groupRows = groups
    .map((g) => ({
      id: failureGroupId(g),
      classifier: g.classifier,
      title: g.title.slice(0, MAX_GROUP_TITLE_LENGTH),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // The groups this message leaves and joins, locked before their counters move: a concurrent
  // status change over the same groups waits instead of deadlocking with this delivery.
  await lockGroups(
    tx,
    t,
    textArray([d.id]),
    groupRows.map((g) => g.id),
  );
  // Only the groups it leaves: a message failing again the same way keeps its memberships, so
  // neither the group counters (0005) nor the per-day counts (0010) move its past attempts
  // off a group and back on again.
  await tx.execute(sql`
    delete from ${t.members}
    where failed_message_id = ${d.id} and group_id <> all(${textArray(groupRows.map((g) => g.id))})`);
  // xmax = 0 on a row the insert wrote, not one the conflict updated: the groups created here.
  const upserted = await rowsOf<{ id: string; created: boolean }>(
    tx.execute(sql`
      insert into ${t.groups} (id, classifier, title, first_failed_at, last_failed_at)
      select x.id, x.classifier, x.title, ${d.failedAt}::timestamptz, ${d.failedAt}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(groupRows)}::jsonb) as x(id text, classifier text, title text)
      order by x.id
      on conflict (id) do update set
        first_failed_at = least(${t.groups}.first_failed_at, excluded.first_failed_at),
        last_failed_at = greatest(${t.groups}.last_failed_at, excluded.last_failed_at)
      returning id, (xmax = 0) as created`),
  );
  await tx.execute(sql`
    insert into ${t.members} (group_id, failed_message_id)
    select x.id, ${d.id} from jsonb_to_recordset(${JSON.stringify(groupRows)}::jsonb) as x(id text)
    on conflict do nothing`);
  const created = new Set(upserted.filter((r) => r.created).map((r) => r.id));
  return {
    ids: groupRows.map((g) => g.id),
    created: groupRows
      .filter((g) => created.has(g.id))
      .map((g) => ({
        streamId: streams.failureGroup(g.id),
        event: { type: 'FailureGroupCreated', groupId: g.id, classifier: g.classifier, title: g.title },
      })),
  };
}

/**
 * Fails the message's generation while it is still open, closing an attempt still running (its
 * worker lost: it ends with the generation, not open forever). Its GenerationFailed event, or
 * undefined when there is no generation to fail.
 */
async function failGeneration(
  tx: Executor,
  t: FailedMessageTables,
  d: Delivery,
): Promise<NewEvent | undefined> {
  const { input, error } = d;
  if (!input.generationId) return undefined;
  const [g] = await rowsOf<{ model: string; attempts: number }>(
    tx.execute(
      failOpenGeneration(t.generations, {
        id: input.generationId,
        errorMessage: deadLetteredGenerationError(input.receiveCount, error),
        returning: sql`model, attempts`,
      }),
    ),
  );
  if (!g) return undefined;
  await tx.execute(
    closeRunningAttempts(
      t.runs,
      { status: 'failed', durationMs: 'elapsed', error: ATTEMPT_CLOSED_BY.deadLetter },
      { where: sql`r.generation_id = ${input.generationId}` },
    ),
  );
  return {
    streamId: streams.generation(input.generationId),
    event: {
      type: 'GenerationFailed',
      generationId: input.generationId,
      model: g.model,
      attempts: g.attempts,
      reason: input.invalidReason ? 'invalid-message' : 'dead-lettered',
      error: storedError(error),
      durationMs: null,
    },
  };
}
