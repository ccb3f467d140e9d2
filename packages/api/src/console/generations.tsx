/** @jsxImportSource hono/jsx */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { streams } from '@genledger/core/contracts/events';
import type { GenerationSortField } from '@genledger/core/contracts/generation';
import { GENERATION_STATUSES, type GenerationStatus } from '@genledger/core/contracts/generation';
import { calendarDate, MAX_TIMESTAMP_MS, text } from '@genledger/core/contracts/storable';
import type { Owner } from '@genledger/core/ports/principal';
import type { Hono } from 'hono';
import * as z from 'zod';
import { SORT_VALUES } from '../contracts.ts';
import { type ConsoleContext, type ConsoleEnv, type ConsoleServices, render } from './context.tsx';
import { EmptyRow, Flash, href, Status, Time } from './layout.tsx';
import { nextPageCursor, readPageCursor } from './page-cursor.ts';

const PAGE_SIZE = 25;
const day = calendarDate();
const ListQuery = z.object({
  q: text().trim().max(500).optional(),
  status: z.array(z.enum(GENERATION_STATUSES)).max(5).default([]),
  model: text().trim().max(100).optional(),
  from: day.optional().or(z.literal('')),
  to: day.optional().or(z.literal('')),
  sort: z.enum(SORT_VALUES).default('-createdAt'),
  cursor: text().max(2000).optional(),
});
type ListQuery = z.output<typeof ListQuery>;

const ownerOf = (c: ConsoleContext): Owner =>
  c.get('who').isAdmin ? { admin: true } : { admin: false, apiKeyId: c.get('who').id };

const fingerprint = (q: ListQuery) =>
  createHash('sha256')
    .update(
      JSON.stringify([q.q ?? '', [...q.status].sort(), q.model ?? '', q.from ?? '', q.to ?? '', q.sort]),
    )
    .digest('base64url')
    .slice(0, 16);

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

function listQueryOf(c: ConsoleContext) {
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

function Filters(props: { q: Partial<ListQuery> }) {
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
          {SORT_VALUES.map((s) => (
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

function isImage(path: string) {
  return ['.png', '.jpg', '.jpeg', '.webp', '.gif'].includes(extname(path).toLowerCase());
}

export function registerGenerationPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const { deps, queries } = s;

  app.get('/generations', async (c) => {
    const parsed = listQueryOf(c);
    if (!parsed.success) {
      const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return render(
        c,
        'Generations',
        <>
          <h1>Generations</h1>
          <Filters q={{}} />
          <Flash kind="error">Invalid filter: {msg}</Flash>
        </>,
        { status: 400, section: '/console/generations' },
      );
    }
    const q = parsed.data;
    const f = fingerprint(q);
    const { after, error } = readPageCursor(
      deps.cursors,
      q.cursor,
      f,
      { key: z.string().nullable(), id: z.uuid() },
      'search',
    );
    const descending = q.sort.startsWith('-');
    const field = (descending ? q.sort.slice(1) : q.sort) as GenerationSortField;
    // The end of the chosen day; 9999-12-31 ends at the last instant Postgres is sent, not in 10000.
    const to = q.to
      ? new Date(Math.min(Date.parse(`${q.to}T00:00:00Z`) + 86_400_000, MAX_TIMESTAMP_MS))
      : undefined;
    const page = await deps.queries.list(
      ownerOf(c),
      {
        statuses: q.status.length ? (q.status as GenerationStatus[]) : undefined,
        model: q.model,
        from: q.from ? new Date(`${q.from}T00:00:00Z`) : undefined,
        to,
        q: q.q,
      },
      { field, descending },
      PAGE_SIZE,
      after,
    );
    const next = nextPageCursor(deps.cursors, f, page.next);
    const base = { q: q.q, status: q.status, model: q.model, from: q.from, to: q.to, sort: q.sort };
    return render(
      c,
      'Generations',
      <>
        <h1>Generations</h1>
        <Filters q={q} />
        {error && <Flash kind="error">{error}</Flash>}
        <div class="table-wrap">
          <table>
            <caption class="muted small">
              {page.items.length} shown{after ? ' (a later page)' : ''} · keys: j/k move, Enter opens
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
              {page.items.map((g) => (
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
                  </td>
                  <td class="hide-narrow">{g.model}</td>
                  <td class="num hide-narrow">{g.attempts}</td>
                  <td class="num hide-narrow">{g.durationMs === null ? '—' : `${g.durationMs} ms`}</td>
                </tr>
              ))}
              {page.items.length === 0 && <EmptyRow cols={6}>No generations match.</EmptyRow>}
            </tbody>
          </table>
        </div>
        <nav class="pager" aria-label="Pages">
          {after && <a href={href('/console/generations', base)}>First page</a>}
          {next && (
            <a href={href('/console/generations', { ...base, cursor: next })} rel="next">
              Next page
            </a>
          )}
        </nav>
      </>,
      { section: '/console/generations' },
    );
  });

  app.get('/generations/:id', async (c) => {
    const id = c.req.param('id');
    const owner = ownerOf(c);
    const g = z.uuid().safeParse(id).success ? await deps.generations.get(id, owner) : undefined;
    if (!g) return render(c, 'Not found', <Flash kind="error">No generation {id}</Flash>, { status: 404 });
    const admin = c.get('who').isAdmin;
    const [runs, events, failedId] = await Promise.all([
      deps.queries.runs(id, owner),
      deps.events.readStream(streams.generation(id)),
      admin ? queries.failedMessageOfGeneration(id) : Promise.resolve(undefined),
    ]);
    const output = g.outputPath;
    const outputSrc = output
      ? /^https:\/\//.test(output)
        ? output
        : isImage(output)
          ? `/console/generations/${g.id}/output`
          : undefined
      : undefined;
    const { id: _id, prompt, negativePrompt, name, model, width, height, steps, guidance, seed } = g;
    return render(
      c,
      `Generation ${g.name || g.id}`,
      <>
        <p class="small">
          <a href="/console/generations">← Generations</a>
        </p>
        <h1>
          {g.name || 'Generation'} <Status s={g.status} />
        </h1>
        <div class="grid2">
          <section class="card">
            <h2>Request</h2>
            <dl class="kv">
              <dt>id</dt>
              <dd>
                <code>{g.id}</code>
              </dd>
              <dt>created</dt>
              <dd>
                <Time at={g.createdAt} />
              </dd>
              <dt>finished</dt>
              <dd>
                <Time at={g.completedAt} />
              </dd>
              <dt>attempts</dt>
              <dd>{g.attempts}</dd>
              {g.errorMessage && (
                <>
                  <dt>error</dt>
                  <dd>{g.errorMessage}</dd>
                </>
              )}
              {failedId && (
                <>
                  <dt>failed message</dt>
                  <dd>
                    <a href={`/console/failed/messages/${failedId}`}>{failedId.slice(0, 16)}…</a>
                  </dd>
                </>
              )}
            </dl>
            <pre>
              {JSON.stringify(
                { prompt, negativePrompt, name, model, width, height, steps, guidance, seed },
                null,
                2,
              )}
            </pre>
          </section>
          <section class="card">
            <h2>Output</h2>
            {outputSrc ? (
              <img class="preview" src={outputSrc} alt={`output of generation: ${g.prompt.slice(0, 100)}`} />
            ) : (
              <p class="muted">{output ? <code>{output}</code> : 'No output yet.'}</p>
            )}
            {output && (
              <p class="small muted">
                <code>{output}</code>
              </p>
            )}
          </section>
        </div>
        <h2>Run journal</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th class="num">attempt</th>
                <th>status</th>
                <th>started</th>
                <th class="num">duration</th>
                <th class="num hide-narrow">receive count</th>
                <th>error</th>
              </tr>
            </thead>
            <tbody>
              {(runs ?? []).map((r) => (
                <tr>
                  <td class="num">{r.attempt}</td>
                  <td>
                    <Status s={r.status} />
                  </td>
                  <td>
                    <Time at={r.startedAt} />
                  </td>
                  <td class="num">{r.durationMs === null ? '—' : `${r.durationMs} ms`}</td>
                  <td class="num hide-narrow">{r.receiveCount ?? '—'}</td>
                  <td>
                    {r.errorType && (
                      <details>
                        <summary>
                          {r.errorType}: {r.errorMessage}
                        </summary>
                        <pre>{r.errorStack ?? ''}</pre>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
              {(runs ?? []).length === 0 && <EmptyRow cols={6}>Not run yet.</EmptyRow>}
            </tbody>
          </table>
        </div>
        <h2>Event timeline</h2>
        <ol class="timeline" aria-label="Events of this generation, oldest first">
          {events.map((e) => {
            const { type, ...rest } = e.event as { type: string } & Record<string, unknown>;
            const batch = typeof rest.retryBatchId === 'string' ? rest.retryBatchId : undefined;
            return (
              <li>
                <strong>{type}</strong> <span class="muted small">#{e.streamVersion} · </span>
                <Time at={e.storedAt} />
                {type === 'GenerationFailed' && failedId && (
                  <>
                    {' · '}
                    <a href={`/console/failed/messages/${failedId}`}>failed message</a>
                  </>
                )}
                {batch && admin && (
                  <>
                    {' · '}
                    <a href={`/console/retries/${batch}`}>retry batch</a>
                  </>
                )}
                <details>
                  <summary class="small muted">payload</summary>
                  <pre>{JSON.stringify(rest, null, 2)}</pre>
                </details>
              </li>
            );
          })}
        </ol>
      </>,
      { section: '/console/generations' },
    );
  });

  app.get('/generations/:id/output', async (c) => {
    const id = c.req.param('id');
    const g = z.uuid().safeParse(id).success ? await deps.generations.get(id, ownerOf(c)) : undefined;
    const path = g?.outputPath;
    if (!path || !isImage(path) || /^[a-z]+:\/\//i.test(path)) return c.text('no local image output', 404);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return c.text('the output file is not on this machine', 404);
    }
    const ext = extname(path).slice(1).toLowerCase();
    const type = ext === 'jpg' ? 'jpeg' : ext;
    return c.body(new Uint8Array(bytes), 200, {
      'Content-Type': `image/${type}`,
      'Cache-Control': 'private, max-age=3600',
    });
  });
}
