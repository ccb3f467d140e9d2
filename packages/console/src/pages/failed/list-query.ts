import { createHash } from 'node:crypto';
import { FAILED_MESSAGE_SORTS, FAILED_MESSAGE_STATUSES } from '@genledger/core/contracts/failed-messages';
import { FAILURE_GROUP_ID } from '@genledger/core/contracts/limits';
import { calendarDate, MAX_TIMESTAMP_MS, text } from '@genledger/core/contracts/storable';
import type { FailedFilter } from '@genledger/core/ports/console-read-model';
import type { FailedMessageFilter } from '@genledger/core/ports/failed-messages';
import * as z from 'zod';

const day = calendarDate();

/** The failed messages list's query string (and a bulk form's copy of it). */
const ListQuery = z.object({
  status: z.array(z.enum(FAILED_MESSAGE_STATUSES)).max(4).default(['unresolved']),
  groupId: z.string().regex(FAILURE_GROUP_ID).optional(),
  q: text().trim().max(500).optional(),
  from: day.optional(),
  to: day.optional(),
  sort: z.enum(FAILED_MESSAGE_SORTS).default('-lastFailedAt'),
  cursor: text().max(2000).optional(),
});
export type ListQuery = z.output<typeof ListQuery>;

/** Statuses may come repeated or comma-separated; empty fields are absent. */
export function parseList(raw: Record<string, string[]>) {
  const statuses = (raw.status ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  return ListQuery.safeParse({
    status: statuses.length ? statuses : undefined,
    groupId: raw.groupId?.[0] || undefined,
    q: raw.q?.[0] || undefined,
    from: raw.from?.[0] || undefined,
    to: raw.to?.[0] || undefined,
    sort: raw.sort?.[0] || undefined,
    cursor: raw.cursor?.[0] || undefined,
  });
}

/** The filter part of a list query, as the read model takes it (days as YYYY-MM-DD). */
export const filterOf = (q: ListQuery): FailedFilter => ({
  statuses: q.status,
  groupId: q.groupId,
  q: q.q,
  from: q.from,
  to: q.to,
});

/** The same filter as the failed-message store lists by: from the first to past the last UTC day. */
export const listFilterOf = (q: ListQuery): FailedMessageFilter => ({
  ...filterOf(q),
  from: q.from ? new Date(`${q.from}T00:00:00Z`) : undefined,
  // The end of the last day, clamped to what Postgres can hold (9999-12-31 has no next day).
  to: q.to ? new Date(Math.min(Date.parse(`${q.to}T00:00:00Z`) + 86_400_000, MAX_TIMESTAMP_MS)) : undefined,
});

/** What a page cursor is bound to: the filter and sort it was issued for. */
export const fingerprint = (q: ListQuery) =>
  createHash('sha256')
    .update(
      JSON.stringify([[...q.status].sort(), q.groupId ?? '', q.q ?? '', q.from ?? '', q.to ?? '', q.sort]),
    )
    .digest('base64url')
    .slice(0, 16);
