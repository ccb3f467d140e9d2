/** @jsxImportSource hono/jsx */
import { EVENT_VERSIONS } from '@genledger/core/contracts/events';
import type { Hono } from 'hono';
import type { ConsoleEnv, ConsoleServices } from '../../env.ts';
import { fragment, render } from '../../ui/render.tsx';
import { EVENT_PAGE, EventFeed } from './event-feed.tsx';

const EVENT_TYPES: readonly string[] = Object.keys(EVENT_VERSIONS).sort();

/** A page of history starts below this sequence; anything else is the live first page. */
const beforeOf = (v: string | undefined) => {
  const n = Number(v);
  return v && Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/** A known event type, or no type filter at all. */
const typeOf = (type: string | undefined) => (type && EVENT_TYPES.includes(type) ? type : undefined);

function EventFilters(props: { type: string | undefined; stream: string | undefined }) {
  return (
    <form class="filters" method="get" action="/console/events" aria-label="Filters">
      <label>
        Type
        <select name="type">
          <option value="">any</option>
          {EVENT_TYPES.map((t) => (
            <option value={t} selected={t === props.type}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        Stream (id or prefix)
        <input
          type="search"
          name="stream"
          value={props.stream ?? ''}
          data-search
          placeholder="generation-…"
        />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** The event log: the newest events, by type and stream, live. */
export function registerEventPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  app.get('/events', async (c) => {
    const type = typeOf(c.req.query('type') || undefined);
    const stream = c.req.query('stream')?.trim().slice(0, 200) || undefined;
    const before = beforeOf(c.req.query('before'));
    return render(
      c,
      'Event log',
      <>
        <h1>Event log</h1>
        <EventFilters type={type} stream={stream} />
        <p class="small muted">
          Newest first, {EVENT_PAGE} a page, the archive included. The first page is live: refreshed every 2 s
          while this tab is visible.
        </p>
        <EventFeed s={s} filter={{ type, stream, ...(before ? { before } : {}) }} />
      </>,
      { section: '/console/events' },
    );
  });

  app.get('/events/live', async (c) => {
    const type = typeOf(c.req.query('type') || undefined);
    const stream = c.req.query('stream')?.slice(0, 200) || undefined;
    return fragment(c, <EventFeed s={s} filter={{ type, stream }} />);
  });
}
