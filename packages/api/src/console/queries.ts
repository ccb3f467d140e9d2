import {
  FAILED_MESSAGE_STATUSES,
  type FailedMessageOperation,
  type FailedMessageStatus,
  MAX_PER_OPERATION,
  OPERATION_FROM,
} from '@genledger/core/contracts/failed-messages';
import { GENERATION_STATUSES } from '@genledger/core/contracts/generation';
import type { Owner } from '@genledger/core/ports/principal';
import type { Database } from '@genledger/db/connect';
import { rowsOf, toDate, toNumber } from '@genledger/db/executor';
import {
  type DailyGenerationStat,
  dailyGenerationStats,
} from '@genledger/db/projections/daily-generation-stats';
import { tablesFor } from '@genledger/db/schema/tables';
import { type SQL, sql } from 'drizzle-orm';

type Row = Record<string, unknown>;

export interface ConsoleKey {
  id: string;
  name: string;
  prefix: string;
  isAdmin: boolean;
}

export interface FailedFilter {
  statuses: FailedMessageStatus[];
  groupId?: string;
  q?: string;
  /** Last failed on or after this UTC day, and on or before `to` (YYYY-MM-DD). */
  from?: string;
  to?: string;
}

/** Which failed messages an operation applies to: explicit ids, a group, or every match of a filter. */
export type Selection = { ids: string[] } | { groupId: string } | { filter: FailedFilter };

export interface BatchMessage {
  id: string;
  status: FailedMessageStatus;
  generationId: string | null;
  generationStatus: string | null;
  lastFailedAt: string;
  lastErrorType: string | null;
  /** Attempts recorded after the retry was issued: the message failed again. */
  failedAgain: boolean;
}

/** Counts on the overview are exact up to here: an exact count of a status walks every row of it. */
export const COUNT_CAP = 10_000;

/**
 * A count exact up to a cap; `more` when there are more rows than that, with the planner's
 * `estimate` of how many when its statistics have one above the cap.
 */
export interface CappedCount {
  n: number;
  more: boolean;
  estimate?: number;
}

/** `count(*)` of `rows` that stops after `cap + 1` of them (enough to tell "more than `cap`"). */
const countUpTo = (rows: SQL, cap: number) => sql`(select count(*) from (${rows} limit ${cap + 1}) x)`;

/** What a count taken by `countUpTo` tells. */
const capped = (n: number, cap: number): CappedCount => ({ n: Math.min(n, cap), more: n > cap });

/** How many of the newest events the event log's filters search. */
export const EVENT_SEARCH_WINDOW = 100_000;

/**
 * The console's read queries the JSON API has no route for: counts for the overview, the stats
 * projection, sparklines, retry previews and receipts. Read-only; every change goes through the
 * same stores the JSON API uses.
 */
export class ConsoleQueries {
  private readonly t;
  private readonly stats;

  constructor(private readonly database: Pick<Database, 'db' | 'schema'>) {
    const t = tablesFor(database.schema);
    this.t = {
      keys: t.apiKeys,
      generations: t.generations,
      messages: t.failedMessages,
      attempts: t.failedMessageAttempts,
      members: t.failureGroupMembers,
      groupDays: t.failureGroupDays,
      events: t.events,
      archive: t.eventsArchive,
      batches: t.retryBatches,
    };
    this.stats = dailyGenerationStats(database.schema);
  }

  private rows(statement: SQL) {
    return rowsOf<Row>(this.database.db.execute(statement));
  }

  /** The session's key, when it is still usable (not revoked, not expired). */
  async activeKey(id: string): Promise<ConsoleKey | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [r] = await this.rows(sql`
      select id, name, key_prefix, is_admin from ${this.t.keys}
      where id = ${id} and revoked_at is null and (expires_at is null or expires_at > now())`);
    return (
      r && {
        id: String(r.id),
        name: String(r.name),
        prefix: String(r.key_prefix),
        isAdmin: Boolean(r.is_admin),
      }
    );
  }

  async keyNames(): Promise<Map<string, string>> {
    const rows = await this.rows(sql`select id, name, key_prefix from ${this.t.keys}`);
    return new Map(rows.map((r) => [String(r.id), `${r.name} (${r.key_prefix})`]));
  }

  /**
   * Generations per status, each counted exactly up to COUNT_CAP and estimated past it: an exact
   * count walks every row of the status, and the overview polls every 5 s, so a plain
   * `count(*) … group by status` cost 210–240 ms a poll at a million generations and grew with the
   * table. Each count here is an index walk of at most COUNT_CAP entries of
   * `(status, created_at, id)`; past it, the planner's statistics give the estimate (admin only:
   * they are table-wide).
   */
  async generationCounts(owner: Owner, cap = COUNT_CAP): Promise<Record<string, CappedCount>> {
    const mine = owner.admin ? sql`true` : sql`g.api_key_id = ${owner.apiKeyId}`;
    return this.cappedCounts(
      GENERATION_STATUSES,
      (status) => sql`select 1 from ${this.t.generations} g where g.status = ${status} and ${mine}`,
      cap,
      owner.admin ? 'generations' : undefined,
    );
  }

  /** Failed messages per status, as `generationCounts` (index `(status, last_failed_at, id)`). */
  async failedCounts(cap = COUNT_CAP): Promise<Record<string, CappedCount>> {
    return this.cappedCounts(
      FAILED_MESSAGE_STATUSES,
      (status) => sql`select 1 from ${this.t.messages} fm where fm.status = ${status}`,
      cap,
      'failed_messages',
    );
  }

  /**
   * One statement: each status counted up to `cap + 1` rows and, only when some count passes the
   * cap, the planner's per-status estimate for `estimateFrom` (the table's row estimate times each
   * value's frequency, as of the last ANALYZE; none when it was never analysed).
   */
  private async cappedCounts(
    statuses: readonly string[],
    rowsFor: (status: string) => SQL,
    cap: number,
    estimateFrom: string | undefined,
  ): Promise<Record<string, CappedCount>> {
    const counts = statuses.map(
      (status, i) => sql`${countUpTo(rowsFor(status), cap)} as ${sql.raw(`c${i}`)}`,
    );
    const anyOver = sql.join(
      statuses.map((_, i) => sql`${sql.raw(`c.c${i}`)} > ${cap}`),
      sql` or `,
    );
    const estimates = estimateFrom
      ? sql`case when ${anyOver} then (
          select json_object_agg(v.status, round(v.freq * greatest(t.reltuples, 0)))
          from pg_stats s
          join pg_namespace ns on ns.nspname = s.schemaname
          join pg_class t on t.relnamespace = ns.oid and t.relname = s.tablename
          cross join lateral unnest(s.most_common_vals::text::text[], s.most_common_freqs) as v(status, freq)
          where s.schemaname = ${this.database.schema} and s.tablename = ${estimateFrom} and s.attname = 'status')
        end`
      : sql`null`;
    const [r] = await this.rows(
      sql`select c.*, ${estimates} as estimates from (select ${sql.join(counts, sql`, `)}) c`,
    );
    const estimated = (r?.estimates ?? {}) as Record<string, unknown>;
    return Object.fromEntries(
      statuses.map((status, i) => {
        const count = capped(toNumber(r?.[`c${i}`] ?? 0), cap);
        // Below the exact count the statistics are stale: "more than the cap" is all that is known.
        const estimate = toNumber(estimated[status] ?? 0);
        return [status, count.more && estimate > cap ? { ...count, estimate } : count];
      }),
    );
  }

  dailyStats(fromDay: string): Promise<DailyGenerationStat[]> {
    return this.stats.read(this.database.db, { from: fromDay });
  }

  /**
   * Dead-letterings per group and UTC day since `fromDay`, for the groups' sparklines: the
   * attempts of each group's current members, read from their per-day counts (migration 0010), a
   * row per group and day, where counting the attempts themselves took 550–810 ms a view at
   * 300,000 attempts in 14 days.
   */
  async groupTrends(fromDay: string): Promise<Map<string, Map<string, number>>> {
    const rows = await this.rows(sql`
      select group_id, day::text as day, failures as n from ${this.t.groupDays}
      where day >= ${fromDay}::date and failures <> 0`);
    const out = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const g = String(r.group_id);
      if (!out.has(g)) out.set(g, new Map());
      out.get(g)!.set(String(r.day), toNumber(r.n));
    }
    return out;
  }

  private selectionWhere(selection: Selection, statuses: readonly FailedMessageStatus[]): SQL {
    const parts: SQL[] = [sql`fm.status in (select unnest(${`{${statuses.join(',')}}`}::text[]))`];
    if ('ids' in selection) {
      const ids = `{${selection.ids.map((i) => `"${i.replaceAll('"', '')}"`).join(',')}}`;
      parts.push(sql`fm.id in (select unnest(${ids}::text[]))`);
    } else {
      const groupId = 'groupId' in selection ? selection.groupId : selection.filter.groupId;
      if (groupId)
        parts.push(
          sql`fm.id in (select failed_message_id from ${this.t.members} where group_id = ${groupId})`,
        );
      if ('filter' in selection) {
        const f = selection.filter;
        parts.push(sql`fm.status in (select unnest(${`{${f.statuses.join(',')}}`}::text[]))`);
        if (f.q) parts.push(sql`fm.search @@ websearch_to_tsquery('english', ${f.q})`);
        // Days are UTC days, whatever the session's time zone.
        if (f.from) parts.push(sql`fm.last_failed_at >= (${f.from}::date)::timestamp at time zone 'UTC'`);
        if (f.to) parts.push(sql`fm.last_failed_at < (${f.to}::date + 1)::timestamp at time zone 'UTC'`);
      }
    }
    return sql.join(parts, sql` and `);
  }

  /**
   * How many messages match, exact up to `cap` (an operation on "all matching" acts on at most
   * MAX_PER_OPERATION at a time): the list counts on every view, and a plain count walked every match
   * (a million unresolved messages after a long outage).
   */
  async countMatching(filter: FailedFilter, cap = MAX_PER_OPERATION): Promise<CappedCount> {
    const matching = sql`select 1 from ${this.t.messages} fm where ${this.selectionWhere({ filter }, filter.statuses)}`;
    const [r] = await this.rows(sql`select ${countUpTo(matching, cap)} as n`);
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
    const where = this.selectionWhere(selection, OPERATION_FROM[op]);
    const invalid = op === 'retry' ? sql` and not fm.invalid` : sql``;
    const rows = await this.rows(
      sql`select fm.id from ${this.t.messages} fm where ${where}${invalid} order by fm.id limit ${cap + 1}`,
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
  async retryPreview(selection: Selection, recentMinutes: number, cap = MAX_PER_OPERATION) {
    const where = this.selectionWhere(selection, OPERATION_FROM.retry);
    // Ids are retried whole; a group and "everything matching" are taken `cap` at a time.
    const upTo = 'ids' in selection ? Number.MAX_SAFE_INTEGER - 1 : cap;
    const of = (invalid: boolean) =>
      countUpTo(sql`select 1 from ${this.t.messages} fm where ${where} and fm.invalid = ${invalid}`, upTo);
    const [counts] = await this.rows(sql`select ${of(false)} as eligible, ${of(true)} as invalid`);
    const eligible = capped(toNumber(counts?.eligible ?? 0), upTo);
    const invalid = capped(toNumber(counts?.invalid ?? 0), upTo);
    const sample = await this.rows(sql`
      select fm.id, fm.model, fm.last_failed_at, fm.last_error_type, fm.last_error_message, fm.attempt_count
      from ${this.t.messages} fm where ${where} and not fm.invalid order by fm.last_failed_at desc, fm.id limit 5`);
    // "Still failing": the same selection's messages dead-lettered in the last minutes, and
    // generations of the same models whose runs failed just as recently.
    const [recent] = await this.rows(sql`
      select count(*) as n, max(a.failed_at) as last from ${this.t.attempts} a
      join ${this.t.messages} fm on fm.id = a.failed_message_id
      where ${this.selectionWhere(selection, ['unresolved', 'archived', 'retry_issued', 'resolved'])}
        and a.failed_at > now() - make_interval(mins => ${recentMinutes})`);
    return {
      eligible: eligible.n,
      /** More eligible messages match than one retry takes: another run sends the rest. */
      more: eligible.more,
      invalid: invalid.n,
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
   * Every message a retry batch covered — found through the status-change events that carry the
   * batch id, because a message that fails again leaves the batch — with what became of it. The
   * events were written by the transaction that issued the batch (`retry_batches.tx_id`, migration
   * 0007), so they are read through the `(tx_id, sequence)` index of both tables: no page view
   * scans every event, and a batch older than the archive's horizon keeps its messages. A batch
   * issued before 0007 has no `tx_id`; its transaction is looked for among the events still in
   * `events`, one scan per view, as every view scanned before (the first match ends it).
   */
  async batchMessages(batchId: string, createdAt: string): Promise<BatchMessage[]> {
    const rows = await this.rows(sql`
      with issued as (
        select coalesce(
          (select b.tx_id from ${this.t.batches} b where b.id = ${batchId}),
          (select e.tx_id from ${this.t.events} e
           where e.event_type = 'FailedMessageStatusChanged' and e.payload->>'retryBatchId' = ${batchId}
           limit 1)) as tx_id
      ), written as (
        select e.event_type, e.payload from ${this.t.events} e where e.tx_id = (select tx_id from issued)
        union all
        select a.event_type, a.payload from ${this.t.archive} a where a.tx_id = (select tx_id from issued)
      ), covered as (
        select distinct payload->>'failedMessageId' as id from written
        where event_type = 'FailedMessageStatusChanged' and payload->>'retryBatchId' = ${batchId}
      )
      select fm.id, fm.status, fm.generation_id, g.status as generation_status, fm.last_failed_at, fm.last_error_type,
             exists (select 1 from ${this.t.attempts} a where a.failed_message_id = fm.id and a.failed_at > ${createdAt}::timestamptz) as failed_again
      from covered c join ${this.t.messages} fm on fm.id = c.id
      left join ${this.t.generations} g on g.id = fm.generation_id
      order by fm.id limit 1000`);
    return rows.map((r) => ({
      id: String(r.id),
      status: r.status as FailedMessageStatus,
      generationId: (r.generation_id as string | null) ?? null,
      generationStatus: (r.generation_status as string | null) ?? null,
      lastFailedAt: toDate(r.last_failed_at).toISOString(),
      lastErrorType: (r.last_error_type as string | null) ?? null,
      failedAgain: Boolean(r.failed_again) && r.status !== 'resolved' && r.status !== 'retry_issued',
    }));
  }

  async failedMessageOfGeneration(generationId: string): Promise<string | undefined> {
    const [r] = await this.rows(
      sql`select id from ${this.t.messages} where generation_id = ${generationId} limit 1`,
    );
    return r ? String(r.id) : undefined;
  }

  /**
   * The newest events, optionally of one type and of streams starting with a prefix. A filter
   * searches the newest `window` events only: no index serves a type or a prefix, and the event
   * log polls every 2 s, so a filter nothing matches would otherwise walk the whole hot table
   * on every poll (170–570 ms at a million events; 32–40 ms within the window).
   */
  async recentEvents(
    filter: { type?: string; stream?: string },
    limit: number,
    window: number = EVENT_SEARCH_WINDOW,
  ) {
    const where: SQL[] = [sql`true`];
    if (filter.type) where.push(sql`event_type = ${filter.type}`);
    if (filter.stream) where.push(sql`stream_id like ${`${filter.stream.replace(/[\\%_]/g, '\\$&')}%`}`);
    if (where.length > 1) {
      where.push(
        sql`sequence > (select coalesce(max(m.sequence), 0) from ${this.t.events} m) - ${window}::bigint`,
      );
    }
    const rows = await this.rows(sql`
      select sequence, stream_id, stream_version, event_type, payload, metadata, stored_at from ${this.t.events}
      where ${sql.join(where, sql` and `)} order by sequence desc limit ${limit}`);
    return rows.map((r) => ({
      sequence: toNumber(r.sequence),
      streamId: String(r.stream_id),
      streamVersion: toNumber(r.stream_version),
      type: String(r.event_type),
      payload: r.payload as Record<string, unknown>,
      metadata: r.metadata as Record<string, unknown>,
      storedAt: toDate(r.stored_at).toISOString(),
    }));
  }
}
