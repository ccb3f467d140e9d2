import { FAILED_MESSAGE_STATUSES } from '@genledger/core/contracts/failed-messages';
import { GENERATION_STATUSES } from '@genledger/core/contracts/generation';
import { type CappedCount, COUNT_CAP, type OverviewReads } from '@genledger/core/ports/console-read-model';
import type { GenerationFilter } from '@genledger/core/ports/generations';
import type { AttemptOutcomes } from '@genledger/core/ports/generator-health';
import type { Owner } from '@genledger/core/ports/principal';
import { sql } from 'drizzle-orm';
import { toDate, toNumber } from '../executor.ts';
import { generationFilterSql } from '../generation-filter.ts';
import { capped, cappedCounts, countUpTo } from './capped-count.ts';
import type { ReadScope } from './read-scope.ts';

/** The overview's numbers: generations and failed messages per status, and the daily stats. */
export class OverviewQueries implements OverviewReads {
  constructor(private readonly scope: ReadScope) {}

  /**
   * Generations per status, each counted exactly up to COUNT_CAP and estimated past it: an exact
   * count walks every row of the status, and the overview polls every 5 s, so a plain
   * `count(*) … group by status` cost 210–240 ms a poll at a million generations and grew with the
   * table. Each count here is an index walk of at most COUNT_CAP entries of
   * `(status, created_at, id)`; past it, the planner's statistics give the estimate (admin only:
   * they are table-wide).
   */
  generationCounts(owner: Owner, cap = COUNT_CAP): Promise<Record<string, CappedCount>> {
    const mine = owner.admin ? sql`true` : sql`g.api_key_id = ${owner.apiKeyId}`;
    const generations = this.scope.tables.generations;
    return cappedCounts(
      this.scope,
      GENERATION_STATUSES,
      (status) => sql`select 1 from ${generations} g where g.status = ${status} and ${mine}`,
      cap,
      owner.admin ? 'generations' : undefined,
    );
  }

  /**
   * The generations list's total, counted up to `cap` rows of the same search the list pages
   * through (one bounded walk, as each status count above): the list polls every 5 s.
   */
  async countGenerations(owner: Owner, filter: GenerationFilter, cap = COUNT_CAP): Promise<CappedCount> {
    const rows = sql`select 1 from ${this.scope.tables.generations} where ${generationFilterSql(owner, filter)}`;
    const [r] = await this.scope.rows(sql`select ${countUpTo(rows, cap)} as n`);
    return capped(toNumber(r?.n ?? 0), cap);
  }

  /** Failed messages per status, as `generationCounts` (index `(status, last_failed_at, id)`). */
  failedCounts(cap = COUNT_CAP): Promise<Record<string, CappedCount>> {
    const messages = this.scope.tables.failedMessages;
    return cappedCounts(
      this.scope,
      FAILED_MESSAGE_STATUSES,
      (status) => sql`select 1 from ${messages} fm where fm.status = ${status}`,
      cap,
      'failed_messages',
    );
  }

  /**
   * Attempts finished in the last minutes, from the run journal: what the generator backend's
   * health is judged by, deployed as well as locally. One range read of
   * `generation_runs_completed_idx` (migration 0011).
   */
  async attemptOutcomes(minutes: number): Promise<AttemptOutcomes> {
    const runs = this.scope.tables.generationRuns;
    const [r] = await this.scope.rows(sql`
      with recent as (
        select status, completed_at, error_type from ${runs}
        where completed_at > now() - make_interval(mins => ${minutes})
      )
      select count(*) filter (where status = 'completed') as completed,
             count(*) filter (where status = 'failed') as failed,
             (select completed_at from recent where status = 'failed' order by completed_at desc limit 1) as last_at,
             (select error_type from recent where status = 'failed' order by completed_at desc limit 1) as last_type
      from recent`);
    return {
      windowMinutes: minutes,
      completed: toNumber(r?.completed ?? 0),
      failed: toNumber(r?.failed ?? 0),
      lastFailureAt: r?.last_at ? toDate(r.last_at).toISOString() : null,
      lastErrorType: (r?.last_type as string | null) ?? null,
    };
  }
}
