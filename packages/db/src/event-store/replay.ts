import { toNumber } from '../executor.ts';
import type { EventRow } from './event-row.ts';
import type { Position, StoredEvent } from './stored-event.ts';
import type { EventDecoder } from './upcasting.ts';

/** What a replay reads with: a page of the feed, and the position of a sequence number. */
export interface FeedPages {
  feedRows(after: Position, limit: number): Promise<EventRow[]>;
  positionOf(sequence: number): Promise<Position>;
}

/**
 * Every event after a position (or after an event's sequence number), a page at a time: memory stays
 * flat. Written as an iterator rather than an async generator, whose every yield is one more
 * await: over a million events that alone is a third of a second.
 */
export function replayFrom(
  feed: FeedPages,
  decoder: EventDecoder,
  after: Position | number,
  pageSize: number,
): AsyncIterableIterator<StoredEvent> {
  let position: Position | undefined = typeof after === 'number' ? undefined : after;
  // The page stays as the driver's rows; each becomes a StoredEvent only as it is handed out.
  // What a page holds lives through the next page's read, long enough for V8 to copy it and
  // promote it to the old generation: rows alone are half of what rows and events were, and
  // the events die young (bench: event-store, replay).
  let page: EventRow[] = [];
  let index = 0;
  let finished = false;
  const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
  const nextPage = async (): Promise<IteratorResult<StoredEvent, undefined>> => {
    if (finished) return done;
    page = [];
    position ??= await feed.positionOf(after as number);
    page = await feed.feedRows(position, pageSize);
    index = 0;
    finished = page.length < pageSize;
    if (page.length === 0) return done;
    const last = page[page.length - 1]!;
    position = { txId: last.tx_text, sequence: toNumber(last.sequence) };
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
      return done;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
