import { FAILED_MESSAGE_STATUSES } from '@genledger/core/contracts/failed-messages';
import { GENERATION_STATUSES } from '@genledger/core/contracts/generation';
import {
  type CappedCount,
  COUNT_CAP,
  type DailyGenerationStat,
  type OverviewReads,
} from '@genledger/core/ports/console-read-model';
import type { Owner } from '@genledger/core/ports/principal';
import { sql } from 'drizzle-orm';
import { dailyGenerationStats } from '../projections/daily-generation-stats.ts';
import { cappedCounts } from './capped-count.ts';
import type { ReadScope } from './read-scope.ts';

/** The overview's numbers: generations and failed messages per status, and the daily stats. */
export class OverviewQueries implements OverviewReads {
  private readonly stats;

  constructor(private readonly scope: ReadScope) {
    this.stats = dailyGenerationStats(scope.database.schema);
  }

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

  dailyStats(fromDay: string): Promise<DailyGenerationStat[]> {
    return this.stats.read(this.scope.database.db, { from: fromDay });
  }
}
