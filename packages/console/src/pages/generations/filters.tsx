/** @jsxImportSource hono/jsx */
import { GENERATION_SORTS, GENERATION_STATUSES } from '@genledger/core/contracts/generation';
import type { ListQuery } from './list-query.ts';

const SORT_LABELS: Record<string, string> = {
  '-createdAt': 'newest first',
  createdAt: 'oldest first',
  '-completedAt': 'recently finished',
  completedAt: 'finished longest ago',
  '-durationMs': 'slowest first',
  durationMs: 'fastest first',
  '-name': 'name Z–A',
  name: 'name A–Z',
};

/** The generations list's search form; its fields keep what the URL asked for. */
export function Filters(props: { q: Partial<ListQuery> }) {
  const q = props.q;
  return (
    <form class="filters" method="get" action="/console/generations" aria-label="Filters">
      <label>
        Search prompt and name
        <input type="search" name="q" value={q.q ?? ''} data-search placeholder="press / to search" />
      </label>
      <label>
        Status
        <select name="status">
          <option value="">any</option>
          {GENERATION_STATUSES.map((s) => (
            <option value={s} selected={q.status?.includes(s)}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Model
        <input type="text" name="model" value={q.model ?? ''} size={10} />
      </label>
      <label>
        Created from
        <input type="date" name="from" value={q.from ?? ''} />
      </label>
      <label>
        to (inclusive)
        <input type="date" name="to" value={q.to ?? ''} />
      </label>
      <label>
        Sort
        <select name="sort">
          {GENERATION_SORTS.map((s) => (
            <option value={s} selected={q.sort === s}>
              {SORT_LABELS[s]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Search</button>
      <a href="/console/generations" class="button secondary">
        Clear
      </a>
    </form>
  );
}
