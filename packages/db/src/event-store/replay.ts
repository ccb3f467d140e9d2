import { toNumber } from '../executor.ts';
import type { EventRow } from './event-row.ts';
import type { Position, StoredEvent } from './stored-event.ts';
import type { EventDecoder } from './upcasting.ts';

/** One turn of the event loop: whatever the driver queued for a later tick has been written. */
const sent = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a replay reads with: a page of the feed, and the position of a sequence number. */
export interface FeedPages {
  feedRows(after: Position, limit: number): Promise<EventRow[]>;
  positionOf(sequence: number): Promise<Position>;
}

/**
 * Every event after a position (or after an event's sequence number), a page at a time: memory stays
 * flat. Written as an iterator rather than an async generator, whose every yield is one more
 * await: over a million events that alone is a third of a second.
 *
 * A full page sends the next page's read as it arrives (its last row is where the next starts):
 * Postgres finds page n+1 while the reader is handed page n, instead of each waiting for the
 * other. A read sent ahead that fails rejects the `next()` that would have returned its first
 * event; `return()` waits for it to settle, so a reader that stops early leaves no query running.
 */
export function replayFrom(
  feed: FeedPages,
  decoder: EventDecoder,
  after: Position | number,
  pageSize: number,
): AsyncIterableIterator<StoredEvent> {
  let position: Position | undefined = typeof after === 'number' ? undefined : after;
  // The page stays as the driver's rows; each becomes a StoredEvent only as it is handed out, and
  // the events die young. A page held while the next one's rows come in (a reader that awaits I/O
  // per event) lives long enough for V8 to promote it to the old generation: rows alone are half
  // of what rows and events were (bench: event-store, replay). It is let go before the wait.
  let page: EventRow[] = [];
  let index = 0;
  let finished = false;
  let ahead: Promise<EventRow[]> | undefined;
  const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
  const read = (from: Position): Promise<EventRow[]> => {
    const rows = feed.feedRows(from, pageSize);
    // Awaited by the next page's `next()`, or settled by `return()`: never left to reject unseen.
    rows.catch(() => {});
    return rows;
  };
  const nextPage = async (): Promise<IteratorResult<StoredEvent, undefined>> => {
    if (finished) return done;
    page = [];
    position ??= await feed.positionOf(after as number);
    const pending = ahead ?? read(position);
    ahead = undefined;
    const rows = await pending;
    if (finished) return done;
    index = 0;
    finished = rows.length < pageSize;
    if (rows.length === 0) return done;
    const last = rows[rows.length - 1]!;
    position = { txId: last.tx_text, sequence: toNumber(last.sequence) };
    if (!finished) {
      ahead = read(position);
      // The pool hands the read its connection on a later tick (pg-pool: process.nextTick). A
      // reader taking the page without I/O of its own runs through all of it in microtasks, so
      // unless the read leaves now it would be sent only after the page, as if never sent ahead.
      await sent();
      if (finished) return done;
    }
    page = rows;
    return { value: decoder.toStored(page[index++]!), done: false };
  };
  const iterator: AsyncIterableIterator<StoredEvent> = {
    // Within a page, an already-resolved promise: no async function frame per event.
    next: () =>
      index < page.length
        ? Promise.resolve({ value: decoder.toStored(page[index++]!), done: false })
        : nextPage(),
    return: async () => {
      finished = true;
      page = [];
      const pending = ahead;
      ahead = undefined;
      await pending?.catch(() => {});
      return done;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
