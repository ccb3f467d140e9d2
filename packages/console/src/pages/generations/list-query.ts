import { createHash } from 'node:crypto';
import { GENERATION_SORTS, GENERATION_STATUSES } from '@genledger/core/contracts/generation';
import { calendarDate, MAX_TIMESTAMP_MS, text } from '@genledger/core/contracts/storable';
import * as z from 'zod';
import type { ConsoleContext } from '../../env.ts';

const day = calendarDate();

/** The generations list's query string: search, filters, sort and the page's signed cursor. */
export const ListQuery = z.object({
  q: text().trim().max(500).optional(),
  status: z.array(z.enum(GENERATION_STATUSES)).max(5).default([]),
  model: text().trim().max(100).optional(),
  from: day.optional().or(z.literal('')),
  to: day.optional().or(z.literal('')),
  sort: z.enum(GENERATION_SORTS).default('-createdAt'),
  cursor: text().max(2000).optional(),
});
export type ListQuery = z.output<typeof ListQuery>;

export function listQueryOf(c: ConsoleContext) {
  const raw = c.req.queries();
  return ListQuery.safeParse({
    q: raw.q?.[0] || undefined,
    status: (raw.status ?? []).filter(Boolean),
    model: raw.model?.[0] || undefined,
    from: raw.from?.[0],
    to: raw.to?.[0],
    sort: raw.sort?.[0] || undefined,
    cursor: raw.cursor?.[0] || undefined,
  });
}

/** What a page cursor is bound to: the search, filters and sort it was issued for. */
export const fingerprint = (q: ListQuery) =>
  createHash('sha256')
    .update(
      JSON.stringify([q.q ?? '', [...q.status].sort(), q.model ?? '', q.from ?? '', q.to ?? '', q.sort]),
    )
    .digest('base64url')
    .slice(0, 16);

/** The end of the chosen UTC day; 9999-12-31 ends at the last instant Postgres is sent, not in 10000. */
export const endOfDay = (day: string) =>
  new Date(Math.min(Date.parse(`${day}T00:00:00Z`) + 86_400_000, MAX_TIMESTAMP_MS));
