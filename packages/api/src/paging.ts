import { createHash } from 'node:crypto';
import { text } from '@genledger/core/contracts/storable';
import type { CursorCodec } from '@genledger/core/cursor-codec';
import { validationError } from '@genledger/core/errors';
import * as z from 'zod';

/** A list route's page size: 1 to 100, 20 unless asked. */
export const pageLimit = z.coerce.number().int().min(1).max(100).default(20);
/** A list route's `cursor` parameter: the previous page's `nextCursor`. */
export const pageCursor = text().min(1).max(2000);

/** `-createdAt` → `createdAt`: the field of a sort value. */
type FieldOf<S extends string> = S extends `-${infer F}` ? F : S;

/** Where the previous page stopped: the last row's sort key and id. */
interface Keyset<K> {
  value: K;
  id: string;
}

/** One page of a keyset-paged list, as the query asked for it. */
export interface PageRequest<F extends string, K> {
  sort: { field: F; descending: boolean };
  limit: number;
  /** Undefined on the first page. */
  after: Keyset<K> | undefined;
  /** The cursor of the page after this one, or null when this one is the last. */
  nextCursor(next: Keyset<K> | null | undefined): string | null;
}

/**
 * Keyset paging for one list route, given how its rows' sort key and id look. A cursor is signed
 * (`CursorCodec`) and carries the sort (`s`), a fingerprint of the filters (`f`), and the last
 * row's sort key (`k`) and id (`i`), so the same cursor with another sort or other filters is a 400
 * naming `cursor`, never a silently wrong page. `filters` are the query's filter values in a fixed
 * order, sets sorted; changing what a route passes there invalidates the cursors it handed out.
 */
export function keysetPaging<K>(position: { key: z.ZodType<K>; id: z.ZodType<string> }) {
  const Payload = z.object({ s: z.string(), f: z.string(), k: position.key, i: position.id });
  return function page<S extends string>(
    cursors: CursorCodec,
    query: { sort: S; limit: number; cursor?: string | undefined },
    filters: readonly unknown[],
  ): PageRequest<FieldOf<S>, K> {
    const fingerprint = createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 16);
    let after: Keyset<K> | undefined;
    if (query.cursor !== undefined) {
      const parsed = Payload.safeParse(cursors.decode(query.cursor));
      if (!parsed.success || parsed.data.s !== query.sort || parsed.data.f !== fingerprint) {
        throw validationError('the cursor belongs to another query', [
          { field: 'cursor', message: 'use it with the same sort and filters it was issued for' },
        ]);
      }
      after = { value: parsed.data.k, id: parsed.data.i };
    }
    const descending = query.sort.startsWith('-');
    return {
      sort: { field: (descending ? query.sort.slice(1) : query.sort) as FieldOf<S>, descending },
      limit: query.limit,
      after,
      nextCursor: (next) =>
        next ? cursors.encode({ s: query.sort, f: fingerprint, k: next.value, i: next.id }) : null,
    };
  };
}
