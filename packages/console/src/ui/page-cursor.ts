import type { CursorCodec } from '@genledger/core/cursor-codec';
import * as z from 'zod';

/**
 * The console's "next page" links: a signed cursor holding the filter's fingerprint (`f`) and the
 * last row's sort key (`k`) and id (`i`). A link from another filter, or one that does not verify,
 * is not an error page: the list starts over at page one and says why.
 */
export function readPageCursor<K>(
  cursors: CursorCodec,
  token: string | undefined,
  fingerprint: string,
  schema: { key: z.ZodType<K>; id: z.ZodType<string> },
  otherFilter: string,
): { after?: { value: K; id: string }; error?: string } {
  if (!token) return {};
  try {
    const p = z.object({ f: z.string(), k: schema.key, i: schema.id }).safeParse(cursors.decode(token));
    if (p.success && p.data.f === fingerprint) return { after: { value: p.data.k, id: p.data.i } };
    return { error: `that page link belongs to another ${otherFilter}; showing the first page` };
  } catch {
    return { error: 'that page link is not valid; showing the first page' };
  }
}

/** The signed cursor of the page after `next`, or none on the last page. */
export const nextPageCursor = (
  cursors: CursorCodec,
  fingerprint: string,
  next: { value: unknown; id: string } | undefined | null,
) => (next ? cursors.encode({ f: fingerprint, k: next.value, i: next.id }) : undefined);
