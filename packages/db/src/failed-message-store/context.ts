import type { PgTable } from 'drizzle-orm/pg-core';
import type { EventStore } from '../event-store.ts';
import type { Executor } from '../executor.ts';
import { tablesFor } from '../schema/tables.ts';

/** The tables the failed-message store writes and reads, bound to its schema. */
export type FailedMessageTables = Record<
  'messages' | 'attempts' | 'groups' | 'members' | 'days' | 'runs' | 'generations' | 'batches' | 'settings',
  PgTable
>;

/** What every operation of the failed-message store works with. */
export interface FailedMessageContext {
  db: Executor;
  t: FailedMessageTables;
  events: EventStore;
}

export function failedMessageTables(schema: string): FailedMessageTables {
  const t = tablesFor(schema);
  return {
    messages: t.failedMessages,
    attempts: t.failedMessageAttempts,
    groups: t.failureGroups,
    members: t.failureGroupMembers,
    days: t.failureGroupDays,
    runs: t.generationRuns,
    generations: t.generations,
    batches: t.retryBatches,
    settings: t.settings,
  };
}
