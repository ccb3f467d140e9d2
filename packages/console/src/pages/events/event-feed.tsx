/** @jsxImportSource hono/jsx */
import { EVENT_SEARCH_WINDOW, type EventLogFilter } from '@genledger/core/ports/console-read-model';
import type { StoredEvent } from '@genledger/core/ports/event-reader';
import type { ConsoleServices } from '../../env.ts';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { Time } from '../../ui/time.tsx';

/** The newest events this many at a time. */
export const EVENT_PAGE = 50;
const WINDOW = EVENT_SEARCH_WINDOW.toLocaleString('en-US');

/** An event's stream, linked to its generation's or failed message's page when it has one. */
function StreamCell(props: { e: StoredEvent }) {
  const { e } = props;
  const generation = /^generation-(.+)$/.exec(e.streamId)?.[1];
  const failed = /^failed-message-(.+)$/.exec(e.streamId)?.[1];
  return (
    <td class="small">
      {generation ? (
        <a href={`/console/generations/${generation}`}>{e.streamId.slice(0, 24)}…</a>
      ) : failed ? (
        <a href={`/console/failed/messages/${failed}`}>{e.streamId.slice(0, 28)}…</a>
      ) : (
        e.streamId
      )}{' '}
      <span class="muted">v{e.streamVersion}</span>
    </td>
  );
}

/** Who caused an event: the key (by name) and where from, as its metadata records them. */
function actorOf(metadata: Record<string, unknown>, names: Map<string, string>): string {
  const key =
    typeof metadata.apiKeyId === 'string' ? (names.get(metadata.apiKeyId) ?? 'a deleted key') : null;
  const source = typeof metadata.source === 'string' ? metadata.source : null;
  if (key) return source ? `${key} via ${source}` : key;
  return source ?? 'the system';
}

function EventRow(props: { e: StoredEvent; names: Map<string, string> }) {
  const { e } = props;
  const { type: _type, ...payload } = e.event;
  return (
    <tr data-row>
      <td class="num">{e.sequence}</td>
      <td>
        <Time at={e.storedAt} />
      </td>
      <td>{e.type}</td>
      <StreamCell e={e} />
      <td class="small" data-testid="actor">
        {actorOf(e.metadata, props.names)}
      </td>
      <td class="hide-narrow small">
        <details>
          <summary>
            <code>{JSON.stringify(payload).slice(0, 160)}</code>
          </summary>
          <pre tabindex={0} data-testid="payload">
            {JSON.stringify({ payload, metadata: e.metadata }, null, 2)}
          </pre>
        </details>
      </td>
    </tr>
  );
}

/**
 * The event log's table: the newest events, refreshed every 2 s while the tab is visible and no
 * payload is expanded (the client script holds the refresh while one is open); or, with
 * `before`, a page of history (the archive included), which does not change and is not polled.
 */
export async function EventFeed(props: { s: ConsoleServices; filter: EventLogFilter }) {
  const { type, stream, before } = props.filter;
  const [events, names] = await Promise.all([
    props.s.deps.readModel.recentEvents({ type, stream, ...(before ? { before } : {}) }, EVENT_PAGE),
    props.s.deps.readModel.keyNames(),
  ]);
  const filtered = Boolean(type || stream);
  const qs = new URLSearchParams();
  if (type) qs.set('type', type);
  if (stream) qs.set('stream', stream);
  return (
    <div
      id="event-feed"
      hx-get={before ? undefined : `/console/events/live?${qs}`}
      hx-trigger={before ? undefined : 'every 2s, console:visible'}
      hx-swap={before ? undefined : 'outerHTML'}
      data-poll={before ? undefined : ''}
    >
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th class="num">seq</th>
              <th>stored</th>
              <th>type</th>
              <th>stream</th>
              <th>who</th>
              <th class="hide-narrow">payload</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <EventRow e={e} names={names} />
            ))}
            {events.length === 0 && (
              <EmptyRow cols={6}>
                {filtered ? `No events match among the newest ${WINDOW}.` : 'No recent events.'}
              </EmptyRow>
            )}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        {before && <a href={`/console/events?${qs}`}>Newest</a>}
        {events.length === EVENT_PAGE && (
          <a
            href={`/console/events?${new URLSearchParams([...qs, ['before', String(events.at(-1)!.sequence)]])}`}
            rel="next"
          >
            Older
          </a>
        )}
      </nav>
      {filtered && (
        <p class="muted small">
          Filters search the newest {WINDOW} events; older ones are in the feed (<code>GET /events</code>) and
          on each generation's page.
        </p>
      )}
    </div>
  );
}
