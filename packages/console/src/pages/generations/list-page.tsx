/** @jsxImportSource hono/jsx */
import type { GenerationRecord } from '@genledger/core/contracts/generation';
import type { CappedCount } from '@genledger/core/ports/console-read-model';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { Flash } from '../../ui/flash.tsx';
import { href } from '../../ui/href.ts';
import { Live } from '../../ui/live.tsx';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';
import { Count } from '../overview/count.tsx';
import { Filters } from './filters.tsx';
import type { ListQuery } from './list-query.ts';

function GenerationRow(props: { g: GenerationRecord }) {
  const { g } = props;
  return (
    <tr data-row>
      <td>
        <a href={`/console/generations/${g.id}`}>
          <Time at={g.createdAt} />
        </a>
      </td>
      <td>
        {g.name && <strong>{g.name} </strong>}
        <span>{g.prompt.length > 120 ? `${g.prompt.slice(0, 120)}…` : g.prompt}</span>
      </td>
      <td>
        <Status s={g.status} />
        {g.errorMessage && (
          <>
            <br />
            <span class="small muted">{g.errorMessage.slice(0, 140)}</span>
          </>
        )}
      </td>
      <td class="hide-narrow">{g.model}</td>
      <td class="num hide-narrow">{g.attempts}</td>
      <td class="num hide-narrow">{g.durationMs === null ? '—' : `${g.durationMs} ms`}</td>
    </tr>
  );
}

/** A page of generations with the search form above it and the page links below. */
export function GenerationsPage(props: {
  q: ListQuery;
  items: GenerationRecord[];
  /** How many generations the search matches, on every page. */
  total: CappedCount;
  /** This is a later page (a cursor was followed). */
  later: boolean;
  next?: string;
  error?: string;
  /** This page's URL, which its live list polls. */
  here: string;
}) {
  const { q, items } = props;
  const base = { q: q.q, status: q.status, model: q.model, from: q.from, to: q.to, sort: q.sort };
  return (
    <>
      <h1>Generations</h1>
      <Filters q={q} />
      {props.error && <Flash kind="error">{props.error}</Flash>}
      <Live id="live-generations" url={props.here}>
        <table>
          <caption class="muted small">
            <span data-total>
              <Count c={props.total} /> matching
            </span>{' '}
            · {items.length} shown{props.later ? ' (a later page)' : ''} · keys: j/k move, Enter opens
          </caption>
          <thead>
            <tr>
              <th>created</th>
              <th>name / prompt</th>
              <th>status</th>
              <th class="hide-narrow">model</th>
              <th class="num hide-narrow">attempts</th>
              <th class="num hide-narrow">duration</th>
            </tr>
          </thead>
          <tbody>
            {items.map((g) => (
              <GenerationRow g={g} />
            ))}
            {items.length === 0 && <EmptyRow cols={6}>No generations match.</EmptyRow>}
          </tbody>
        </table>
      </Live>
      <nav class="pager" aria-label="Pages">
        {props.later && <a href={href('/console/generations', base)}>First page</a>}
        {props.next && (
          <a href={href('/console/generations', { ...base, cursor: props.next })} rel="next">
            Next page
          </a>
        )}
      </nav>
    </>
  );
}
