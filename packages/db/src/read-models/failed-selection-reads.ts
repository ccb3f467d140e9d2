import {
  type FailedMessageOperation,
  type FailedMessageStatus,
  MAX_PER_OPERATION,
  OPERATION_FROM,
} from '@genledger/core/contracts/failed-messages';
import type {
  CappedCount,
  FailedFilter,
  FailedSelectionReads,
  MessageLabel,
  RetryPreview,
  Selection,
} from '@genledger/core/ports/console-read-model';
import { sql } from 'drizzle-orm';
import { toDate, toNumber } from '../executor.ts';
import { textArray } from '../sql-arrays.ts';
import { capped, countUpTo } from './capped-count.ts';
import { selectionWhere } from './failed-selection.ts';
import type { ReadScope } from './read-scope.ts';

/** The statuses whose recent dead-letterings mean the failure is still happening. */
const STILL_FAILING: readonly FailedMessageStatus[] = ['unresolved'];

/** What the failed-message pages read about a selection: trends, counts, eligible ids, retry previews. */
export class FailedSelectionQueries implements FailedSelectionReads {
  constructor(private readonly scope: ReadScope) {}

  private get t() {
    return this.scope.tables;
  }

  /**
   * Dead-letterings per group and UTC day since `fromDay`, for the groups' sparklines: the
   * attempts of each group's current members, read from their per-day counts (migration 0010), a
   * row per group and day, where counting the attempts themselves took 550–810 ms a view at
   * 300,000 attempts in 14 days.
   */
  async groupTrends(fromDay: string): Promise<Map<string, Map<string, number>>> {
    const rows = await this.scope.rows(sql`
      select group_id, day::text as day, failures as n from ${this.t.failureGroupDays}
      where day >= ${fromDay}::date and failures <> 0`);
    const out = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const g = String(r.group_id);
      if (!out.has(g)) out.set(g, new Map());
      out.get(g)!.set(String(r.day), toNumber(r.n));
    }
    return out;
  }

  /**
   * How many messages match, exact up to `cap` (an operation on "all matching" acts on at most
   * MAX_PER_OPERATION at a time): the list counts on every view, and a plain count walked every match
   * (a million unresolved messages after a long outage).
   */
  async countMatching(filter: FailedFilter, cap = MAX_PER_OPERATION): Promise<CappedCount> {
    const where = selectionWhere(this.t, { filter }, filter.statuses);
    const matching = sql`select 1 from ${this.t.failedMessages} fm where ${where}`;
    const [r] = await this.scope.rows(sql`select ${countUpTo(matching, cap)} as n`);
    return capped(toNumber(r?.n ?? 0), cap);
  }

  /**
   * Ids of the selection an operation can act on, the first `cap` in id order; `more` when others
   * are left for another run. Chosen ids are taken whole: the use case refuses the batch if one
   * of them cannot change.
   */
  async eligibleIds(
    op: FailedMessageOperation,
    selection: Exclude<Selection, { groupId: string }>,
    cap = MAX_PER_OPERATION,
  ): Promise<{ ids: string[]; more: boolean }> {
    if ('ids' in selection) return { ids: selection.ids, more: false };
    const where = selectionWhere(this.t, selection, OPERATION_FROM[op]);
    const invalid = op === 'retry' ? sql` and not fm.invalid` : sql``;
    const rows = await this.scope.rows(
      sql`select fm.id from ${this.t.failedMessages} fm where ${where}${invalid} order by fm.id limit ${cap + 1}`,
    );
    return { ids: rows.slice(0, cap).map((r) => String(r.id)), more: rows.length > cap };
  }

  /**
   * What a retry of the selection would do, before anything is sent. A retry of a group or of
   * "everything matching" takes at most `cap` messages at a time (MAX_PER_OPERATION, the store's
   * limit for a group and `eligibleIds` for a filter), so for such a selection the
   * counts stop there too and `more` says whether messages are left for another run: the preview
   * says what the send will do, and never counts a million matches to say it.
   */
  async retryPreview(
    selection: Selection,
    recentMinutes: number,
    cap = MAX_PER_OPERATION,
  ): Promise<RetryPreview> {
    const where = selectionWhere(this.t, selection, OPERATION_FROM.retry);
    // Ids are retried whole; a group and "everything matching" are taken `cap` at a time.
    const upTo = 'ids' in selection ? Number.MAX_SAFE_INTEGER - 1 : cap;
    const of = (invalid: boolean) =>
      countUpTo(
        sql`select 1 from ${this.t.failedMessages} fm where ${where} and fm.invalid = ${invalid}`,
        upTo,
      );
    const [counts] = await this.scope.rows(sql`select ${of(false)} as eligible, ${of(true)} as invalid`);
    const eligible = capped(toNumber(counts?.eligible ?? 0), upTo);
    const sample = await this.scope.rows(sql`
      select fm.id, fm.model, fm.last_failed_at, fm.last_error_type, fm.last_error_message, fm.attempt_count
      from ${this.t.failedMessages} fm where ${where} and not fm.invalid
      order by fm.last_failed_at desc, fm.id limit 5`);
    // "Still failing": dead-letterings in the last minutes of the selection's messages that are
    // still unresolved. A message that succeeded on retry (resolved) or was set aside (archived)
    // says nothing about whether the failure goes on.
    const [recent] = await this.scope.rows(sql`
      select count(*) as n, max(a.failed_at) as last from ${this.t.failedMessageAttempts} a
      join ${this.t.failedMessages} fm on fm.id = a.failed_message_id
      where ${selectionWhere(this.t, selection, STILL_FAILING)}
        and a.failed_at > now() - make_interval(mins => ${recentMinutes})`);
    return {
      eligible: eligible.n,
      more: eligible.more,
      invalid: capped(toNumber(counts?.invalid ?? 0), upTo).n,
      sample: sample.map((r) => ({
        id: String(r.id),
        model: (r.model as string | null) ?? null,
        lastFailedAt: toDate(r.last_failed_at).toISOString(),
        errorType: (r.last_error_type as string | null) ?? null,
        errorMessage: (r.last_error_message as string | null) ?? null,
        attempts: toNumber(r.attempt_count),
      })),
      recentFailures: toNumber(recent?.n ?? 0),
      lastRecentFailure: recent?.last ? toDate(recent.last).toISOString() : null,
    };
  }

  /**
   * The error of each group's newest failure: the member whose last failure is the group's, found
   * by an equality lookup on `failed_messages_last_idx`, so that a group of 300,000 members costs
   * what a group of one does.
   */
  async groupSamples(groupIds: string[]): Promise<Map<string, string>> {
    if (groupIds.length === 0) return new Map();
    const rows = await this.scope.rows(sql`
      select fg.id, s.last_error_type, s.last_error_message
      from ${this.t.failureGroups} fg
      cross join lateral (
        select fm.last_error_type, fm.last_error_message from ${this.t.failedMessages} fm
        where fm.last_failed_at = fg.last_failed_at
          and exists (select 1 from ${this.t.failureGroupMembers} m where m.group_id = fg.id and m.failed_message_id = fm.id)
        limit 1
      ) s
      where fg.id = any(${textArray(groupIds.slice(0, 1000))})`);
    const out = new Map<string, string>();
    for (const r of rows) {
      const message = String(r.last_error_message ?? '').slice(0, 160);
      out.set(String(r.id), `${r.last_error_type ?? 'error'}: ${message}`);
    }
    return out;
  }

  async messageLabels(ids: string[]): Promise<MessageLabel[]> {
    if (ids.length === 0) return [];
    const rows = await this.scope.rows(sql`
      select fm.id, fm.status, fm.model, fm.last_error_type, g.prompt
      from ${this.t.failedMessages} fm left join ${this.t.generations} g on g.id = fm.generation_id
      where fm.id = any(${textArray(ids.slice(0, 1000))}) order by fm.id`);
    return rows.map((r) => ({
      id: String(r.id),
      status: r.status as FailedMessageStatus,
      prompt: (r.prompt as string | null) ?? null,
      model: (r.model as string | null) ?? null,
      errorType: (r.last_error_type as string | null) ?? null,
    }));
  }

  async failedMessageOfGeneration(generationId: string): Promise<string | undefined> {
    const [r] = await this.scope.rows(
      sql`select id from ${this.t.failedMessages} where generation_id = ${generationId} limit 1`,
    );
    return r ? String(r.id) : undefined;
  }
}
