/** @jsxImportSource hono/jsx */

import { createHash } from 'node:crypto';
import {
  FAILED_MESSAGE_SORTS,
  FAILED_MESSAGE_STATUSES,
  type FailedMessageDetail,
  type FailedMessageOperation,
  type FailedMessageStatus,
  MAX_PER_OPERATION,
} from '@genledger/core/contracts/failed-messages';
import { calendarDate, isStorableString, MAX_TIMESTAMP_MS, text } from '@genledger/core/contracts/storable';
import { isAppError } from '@genledger/core/errors';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import type { Hono } from 'hono';
import * as z from 'zod';
import { lastDays, Sparkline } from './charts.tsx';
import {
  type ConsoleContext,
  type ConsoleEnv,
  type ConsoleServices,
  form,
  many,
  metadataOf,
  one,
  render,
} from './context.tsx';
import { diffLines } from './diff.ts';
import { Csrf, EmptyRow, Flash, href, type PageContext, Status, Time } from './layout.tsx';
import { nextPageCursor, readPageCursor } from './page-cursor.ts';
import type { CappedCount, FailedFilter, Selection } from './queries.ts';
import { cursorOf, RetryPreview, registerRetryPages } from './retry.tsx';

const PAGE_SIZE = 50;
const TREND_DAYS = 14;

const day = calendarDate();
const ListQuery = z.object({
  status: z.array(z.enum(FAILED_MESSAGE_STATUSES)).max(4).default(['unresolved']),
  groupId: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  q: text().trim().max(500).optional(),
  from: day.optional(),
  to: day.optional(),
  sort: z.enum(FAILED_MESSAGE_SORTS).default('-lastFailedAt'),
  cursor: text().max(2000).optional(),
});
type ListQuery = z.output<typeof ListQuery>;
const OPS = ['retry', 'archive', 'unarchive', 'resolve'] as const;
const DONE_VERB: Record<FailedMessageOperation, string> = {
  retry: 'retried',
  archive: 'archived',
  unarchive: 'unarchived',
  resolve: 'resolved',
};

const fingerprint = (q: ListQuery) =>
  createHash('sha256')
    .update(
      JSON.stringify([[...q.status].sort(), q.groupId ?? '', q.q ?? '', q.from ?? '', q.to ?? '', q.sort]),
    )
    .digest('base64url')
    .slice(0, 16);

function parseList(raw: Record<string, string[]>) {
  const statuses = (raw.status ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  return ListQuery.safeParse({
    status: statuses.length ? statuses : undefined,
    groupId: raw.groupId?.[0] || undefined,
    q: raw.q?.[0] || undefined,
    from: raw.from?.[0] || undefined,
    to: raw.to?.[0] || undefined,
    sort: raw.sort?.[0] || undefined,
    cursor: raw.cursor?.[0] || undefined,
  });
}

/** The selection a bulk form describes: the ticked ids, or every message matching its filter. */
const GROUP_ID = /^[0-9a-f]{64}$/;

function selectionOf(body: Record<string, string | string[]>): Selection | undefined {
  const groupId = one(body.groupId);
  if (one(body.scope) === 'group' && groupId) return GROUP_ID.test(groupId) ? { groupId } : undefined;
  if (one(body.scope) === 'matching') {
    const parsed = parseList({
      status: many(body.status),
      groupId: many(body.groupId),
      q: many(body.q),
      from: many(body.from),
      to: many(body.to),
    });
    if (!parsed.success) return undefined;
    const filter: FailedFilter = {
      statuses: parsed.data.status,
      groupId: parsed.data.groupId,
      q: parsed.data.q,
      from: parsed.data.from,
      to: parsed.data.to,
    };
    return { filter };
  }
  // An id Postgres could not even compare (NUL, an unpaired surrogate) names no message.
  const ids = many(body.id).filter((i) => i.length > 0 && i.length <= 64 && isStorableString(i));
  return ids.length ? { ids: [...new Set(ids)] } : undefined;
}

function describeSelection(sel: Selection): string {
  if ('ids' in sel) return `${sel.ids.length} selected message${sel.ids.length === 1 ? '' : 's'}`;
  if ('groupId' in sel) return 'every message of the group';
  return 'every message matching the filter';
}

/** Applies archive / unarchive / resolve; retries go through the staged preview instead. */
async function applyOperation(
  c: ConsoleContext,
  s: ConsoleServices,
  op: FailedMessageOperation,
  sel: Selection,
  after?: string,
) {
  const options = { requestedBy: c.get('who').id, metadata: metadataOf(c) };
  if ('groupId' in sel)
    return changeFailedMessageStatus(
      s.deps,
      op,
      { groupId: sel.groupId },
      { ...options, ...(after ? { after } : {}) },
    );
  const { ids, more } = await s.queries.eligibleIds(op, sel);
  if (ids.length === 0) return { changed: 0, skipped: 0, more: false };
  return { ...(await changeFailedMessageStatus(s.deps, op, { ids }, options)), more };
}

/**
 * The next run of a group operation that left messages, going on from the previous run's end
 * (`next`): a run without it walks the group from its first member again.
 */
function GoOn(props: { ctx: PageContext; query: Record<string, string> }) {
  const { go, group, after } = props.query;
  const op = OPS.find((o) => o !== 'retry' && o === go);
  if (!op || !group || !GROUP_ID.test(group) || (after !== undefined && !cursorOf(after))) return null;
  return (
    <form method="post" action="/console/failed/action" class="flash ok">
      <Csrf ctx={props.ctx} />
      <input type="hidden" name="scope" value="group" />
      <input type="hidden" name="groupId" value={group} />
      {after && <input type="hidden" name="after" value={after} />}
      <input type="hidden" name="back" value="/console/failed" />
      More of the group is left.{' '}
      <button type="submit" name="op" value={op}>
        {`${op[0]!.toUpperCase()}${op.slice(1)} the next ${MAX_PER_OPERATION.toLocaleString('en-US')}`}
      </button>
    </form>
  );
}

function StatusFilter(props: { selected: FailedMessageStatus[] }) {
  return (
    <fieldset class="filters plain checks">
      <legend class="small muted">Status</legend>
      {FAILED_MESSAGE_STATUSES.map((s) => (
        <label class="small">
          <input type="checkbox" name="status" value={s} checked={props.selected.includes(s)} />{' '}
          {s.replace('_', ' ')}
        </label>
      ))}
    </fieldset>
  );
}

function MessagesPage(props: {
  ctx: PageContext;
  q: ListQuery;
  items: Awaited<ReturnType<ConsoleServices['deps']['failedMessages']['list']>>['items'];
  total: CappedCount;
  next?: string;
  groupTitle?: string;
  done?: string;
  error?: string;
}) {
  const { q, items } = props;
  const base = { status: q.status, groupId: q.groupId, q: q.q, from: q.from, to: q.to, sort: q.sort };
  return (
    <>
      <p class="small">
        <a href="/console/failed">← Failure groups</a>
      </p>
      <h1>Failed messages{props.groupTitle ? `: ${props.groupTitle}` : ''}</h1>
      <form class="filters" method="get" action="/console/failed/messages" aria-label="Filters">
        <label>
          Search error, body, type
          <input type="search" name="q" value={q.q ?? ''} data-search placeholder="press / to search" />
        </label>
        <StatusFilter selected={q.status} />
        <label>
          Last failed from
          <input type="date" name="from" value={q.from ?? ''} />
        </label>
        <label>
          to (inclusive)
          <input type="date" name="to" value={q.to ?? ''} />
        </label>
        {q.groupId && <input type="hidden" name="groupId" value={q.groupId} />}
        <label>
          Sort
          <select name="sort">
            <option value="-lastFailedAt" selected={q.sort === '-lastFailedAt'}>
              last failed, newest first
            </option>
            <option value="lastFailedAt" selected={q.sort === 'lastFailedAt'}>
              last failed, oldest first
            </option>
            <option value="-firstFailedAt" selected={q.sort === '-firstFailedAt'}>
              first failed, newest first
            </option>
            <option value="firstFailedAt" selected={q.sort === 'firstFailedAt'}>
              first failed, oldest first
            </option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      {props.done && <Flash kind="ok">{props.done}</Flash>}
      {props.error && <Flash kind="error">{props.error}</Flash>}
      <form id="bulk" method="post" action="/console/failed/action">
        <Csrf ctx={props.ctx} />
        {q.status.map((s) => (
          <input type="hidden" name="status" value={s} />
        ))}
        {q.groupId && <input type="hidden" name="groupId" value={q.groupId} />}
        {q.q && <input type="hidden" name="q" value={q.q} />}
        {q.from && <input type="hidden" name="from" value={q.from} />}
        {q.to && <input type="hidden" name="to" value={q.to} />}
        <input type="hidden" name="back" value={href('/console/failed/messages', base)} />
        <div class="actions">
          <label>
            <input type="checkbox" id="select-page" /> this page
          </label>
          <label>
            <input
              type="checkbox"
              id="select-all-matching"
              name="scope"
              value="matching"
              data-total={`${props.total.n}${props.total.more ? '+' : ''}`}
            />{' '}
            all {props.total.n}
            {props.total.more ? '+' : ''} matching
          </label>
          <output id="selection-count" aria-live="polite">
            0 selected
          </output>
          {OPS.map((op) => (
            <button
              type="submit"
              name="op"
              value={op}
              data-needs-selection
              class={op === 'retry' ? '' : 'secondary'}
            >
              {op === 'retry' ? 'Retry…' : op[0]!.toUpperCase() + op.slice(1)}
            </button>
          ))}
          <span class="kbd">shift-click selects a range · j/k move · x selects</span>
        </div>
      </form>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>
                <span class="skip">select</span>
              </th>
              <th>last failed</th>
              <th>error</th>
              <th>status</th>
              <th class="hide-narrow">model</th>
              <th class="num hide-narrow">attempts</th>
              <th class="hide-narrow">first failed</th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr data-row>
                <td>
                  <input
                    type="checkbox"
                    class="sel"
                    name="id"
                    value={m.id}
                    form="bulk"
                    aria-label={`select message ${m.id.slice(0, 12)}`}
                  />
                </td>
                <td>
                  <a href={`/console/failed/messages/${m.id}`}>
                    <Time at={m.lastFailedAt} />
                  </a>
                </td>
                <td>
                  <strong>{m.lastError.type}</strong>{' '}
                  <span class="small">{(m.lastError.message ?? '').slice(0, 140)}</span>
                </td>
                <td>
                  <Status s={m.status} />
                </td>
                <td class="hide-narrow">{m.model}</td>
                <td class="num hide-narrow">{m.attemptCount}</td>
                <td class="hide-narrow">
                  <Time at={m.firstFailedAt} />
                </td>
              </tr>
            ))}
            {items.length === 0 && <EmptyRow cols={7}>No failed messages match.</EmptyRow>}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        {q.cursor && <a href={href('/console/failed/messages', base)}>First page</a>}
        {props.next && (
          <a href={href('/console/failed/messages', { ...base, cursor: props.next })} rel="next">
            Next page
          </a>
        )}
      </nav>
    </>
  );
}

function AttemptCompare(props: { detail: FailedMessageDetail; index: number; durations: (number | null)[] }) {
  const { detail, index } = props;
  const cur = detail.attempts[index]!;
  const prev = detail.attempts[index - 1];
  const fields: [string, string, string][] = prev
    ? [
        ['failed at', prev.failedAt, cur.failedAt],
        ['receive count', String(prev.receiveCount), String(cur.receiveCount)],
        ['duration', fmtMs(props.durations[index - 1]), fmtMs(props.durations[index])],
        ['error type', prev.errorType ?? '', cur.errorType ?? ''],
        ['error message', prev.errorMessage ?? '', cur.errorMessage ?? ''],
        ['queue', prev.queue, cur.queue],
      ]
    : [];
  return (
    <>
      <p class="small">
        <a href={`/console/failed/messages/${detail.id}`}>← Message</a>
      </p>
      <h1>
        Attempt {index + 1} beside attempt {index}
      </h1>
      {!prev ? (
        <Flash kind="error">The first attempt has nothing before it.</Flash>
      ) : (
        <>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>field</th>
                  <th>attempt {index}</th>
                  <th>attempt {index + 1}</th>
                </tr>
              </thead>
              <tbody>
                {fields.map(([name, a, b]) => (
                  <tr class={a === b ? '' : 'diff-changed'} data-changed={a === b ? undefined : 'true'}>
                    <th scope="row">
                      {name}
                      {a === b ? '' : ' (changed)'}
                    </th>
                    <td>{a}</td>
                    <td>{b}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Stack</h2>
          <p class="small muted">Removed lines are marked −, added lines +.</p>
          <pre>
            {diffLines(prev.errorStack ?? '', cur.errorStack ?? '').map((l) =>
              l.kind === 'same' ? (
                `  ${l.text}\n`
              ) : l.kind === 'added' ? (
                <ins>{`+ ${l.text}\n`}</ins>
              ) : (
                <del>{`- ${l.text}\n`}</del>
              ),
            )}
          </pre>
        </>
      )}
    </>
  );
}

const fmtMs = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v} ms`);

export function registerFailedPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const { deps, queries } = s;

  app.get('/failed', async (c) => {
    const days = lastDays(TREND_DAYS, s.now());
    const [groups, trends] = await Promise.all([deps.failedMessages.groups(), queries.groupTrends(days[0]!)]);
    const done = c.req.query('done');
    return render(
      c,
      'Failed messages',
      <>
        <h1>Failure groups</h1>
        <p>
          <a href="/console/failed/messages">All failed messages</a> ·{' '}
          <a href="/console/failed/messages?status=archived">archived</a>
        </p>
        {done && <Flash kind="ok">{done}</Flash>}
        <GoOn ctx={c.get('page')} query={c.req.query()} />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>group</th>
                <th class="num">messages</th>
                <th class="num">unresolved</th>
                <th class="hide-narrow">first seen</th>
                <th>last seen</th>
                <th class="hide-narrow">trend, {TREND_DAYS} days</th>
                <th>actions</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => {
                const t = trends.get(g.id);
                const values = days.map((d) => t?.get(d) ?? 0);
                return (
                  <tr data-row data-group={g.id}>
                    <td>
                      <span class="muted small">{g.classifier}</span>
                      <br />
                      <a
                        href={`/console/failed/messages?groupId=${g.id}&status=unresolved&status=retry_issued`}
                      >
                        {g.title}
                      </a>
                    </td>
                    <td class="num">{g.count}</td>
                    <td class="num">{g.unresolved}</td>
                    <td class="hide-narrow">
                      <Time at={g.firstFailedAt} />
                    </td>
                    <td>
                      <Time at={g.lastFailedAt} />
                    </td>
                    <td class="hide-narrow">
                      <Sparkline values={values} label={`dead-letterings per day: ${values.join(', ')}`} />
                    </td>
                    <td>
                      <div class="actions">
                        <a
                          class="button"
                          href={`/console/retry/preview?groupId=${g.id}`}
                          aria-label={`Retry group ${g.title}`}
                        >
                          Retry…
                        </a>
                        <form method="post" action="/console/failed/action">
                          <Csrf ctx={c.get('page')} />
                          <input type="hidden" name="scope" value="group" />
                          <input type="hidden" name="groupId" value={g.id} />
                          <input type="hidden" name="back" value="/console/failed" />
                          <button
                            type="submit"
                            name="op"
                            value="archive"
                            class="secondary"
                            aria-label={`Archive group ${g.title}`}
                          >
                            Archive
                          </button>{' '}
                          <button
                            type="submit"
                            name="op"
                            value="resolve"
                            class="secondary"
                            aria-label={`Resolve group ${g.title}`}
                          >
                            Resolve
                          </button>
                        </form>
                      </div>
                    </td>
                  </tr>
                );
              })}
              {groups.length === 0 && (
                <EmptyRow cols={7}>
                  No failures. Archived messages are left out of groups:{' '}
                  <a href="/console/failed/messages?status=archived">see them</a>.
                </EmptyRow>
              )}
            </tbody>
          </table>
        </div>
      </>,
      { section: '/console/failed' },
    );
  });

  app.get('/failed/messages', async (c) => {
    const parsed = parseList(c.req.queries());
    if (!parsed.success) {
      return render(
        c,
        'Failed messages',
        <Flash kind="error">Invalid filter: {parsed.error.issues[0]?.message}</Flash>,
        {
          status: 400,
          section: '/console/failed',
        },
      );
    }
    const q = parsed.data;
    const f = fingerprint(q);
    const cursor = readPageCursor(deps.cursors, q.cursor, f, { key: z.string(), id: z.string() }, 'filter');
    const after = cursor.after;
    const error = cursor.error ?? c.req.query('error');
    const descending = q.sort.startsWith('-');
    const field = (descending ? q.sort.slice(1) : q.sort) as 'lastFailedAt' | 'firstFailedAt';
    const filter = { statuses: q.status, groupId: q.groupId, q: q.q, from: q.from, to: q.to };
    const [page, total, groups] = await Promise.all([
      deps.failedMessages.list(
        {
          ...filter,
          from: q.from ? new Date(`${q.from}T00:00:00Z`) : undefined,
          // The end of the last day, clamped to what Postgres can hold (9999-12-31 has no next day).
          to: q.to
            ? new Date(Math.min(Date.parse(`${q.to}T00:00:00Z`) + 86_400_000, MAX_TIMESTAMP_MS))
            : undefined,
        },
        { field, descending },
        PAGE_SIZE,
        after,
      ),
      queries.countMatching(filter),
      q.groupId ? deps.failedMessages.groups() : Promise.resolve([]),
    ]);
    const next = nextPageCursor(deps.cursors, f, page.next);
    return render(
      c,
      'Failed messages',
      <MessagesPage
        ctx={c.get('page')}
        q={q}
        items={page.items}
        total={total}
        next={next}
        groupTitle={groups.find((g) => g.id === q.groupId)?.title}
        done={c.req.query('done')}
        error={error}
      />,
      { section: '/console/failed' },
    );
  });

  app.post('/failed/action', async (c) => {
    const body = await form(c);
    const op = one(body.op) as FailedMessageOperation | undefined;
    const back = one(body.back);
    const backTo = back?.startsWith('/console/') ? back : '/console/failed/messages';
    const sel = selectionOf(body);
    const withParam = (name: string, value: string) =>
      `${backTo}${backTo.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
    if (!op || !OPS.includes(op)) return c.redirect(withParam('error', 'choose an operation'), 303);
    if (!sel) return c.redirect(withParam('error', 'select at least one message'), 303);
    if (op === 'retry') {
      const preview = await queries.retryPreview(sel, 5);
      const rate = await deps.settings.get('retry.messagesPerSecond');
      return render(
        c,
        'Retry preview',
        <RetryPreview
          ctx={c.get('page')}
          sel={sel}
          preview={preview}
          rate={rate}
          what={describeSelection(sel)}
        />,
        {
          section: '/console/failed',
        },
      );
    }
    try {
      const outcome = await applyOperation(c, s, op, sel, cursorOf(one(body.after)));
      const skipped = outcome.skipped ? `, ${outcome.skipped} skipped (not eligible)` : '';
      const cap = outcome.more ? ` (at most ${MAX_PER_OPERATION} at a time: run it again for the rest)` : '';
      const done = withParam('done', `${outcome.changed} ${DONE_VERB[op]}${skipped}${cap}`);
      // A group with more left: the groups page offers the next run, going on from this one's end.
      if ('groupId' in sel && outcome.more && 'next' in outcome)
        return c.redirect(
          `${done}&go=${op}&group=${sel.groupId}${outcome.next ? `&after=${outcome.next}` : ''}`,
          303,
        );
      return c.redirect(done, 303);
    } catch (e) {
      if (!isAppError(e)) throw e;
      return c.redirect(withParam('error', e.message), 303);
    }
  });

  const detailOf = async (id: string) => {
    const detail = id.length <= 64 && isStorableString(id) ? await deps.failedMessages.get(id) : undefined;
    if (!detail) return undefined;
    // Each attempt's duration is its run's, found through the SQS message id.
    const runs = detail.generationId
      ? ((await deps.queries.runs(detail.generationId, { admin: true })) ?? [])
      : [];
    const durations = detail.attempts.map(
      (a) => runs.filter((r) => r.messageId === a.messageId).at(-1)?.durationMs ?? null,
    );
    return { detail, durations };
  };

  app.get('/failed/messages/:id', async (c) => {
    const found = await detailOf(c.req.param('id'));
    if (!found)
      return render(c, 'Not found', <Flash kind="error">No failed message {c.req.param('id')}</Flash>, {
        status: 404,
      });
    const { detail: m, durations } = found;
    const act = (op: FailedMessageOperation, label: string, enabled: boolean) =>
      enabled && (
        <form method="post" action="/console/failed/action">
          <Csrf ctx={c.get('page')} />
          <input type="hidden" name="id" value={m.id} />
          <input type="hidden" name="back" value={`/console/failed/messages/${m.id}`} />
          <button type="submit" name="op" value={op} class={op === 'retry' ? '' : 'secondary'}>
            {label}
          </button>
        </form>
      );
    return render(
      c,
      `Failed message ${m.id.slice(0, 12)}`,
      <>
        <p class="small">
          <a href="/console/failed/messages">← Failed messages</a>
        </p>
        <h1>
          {m.lastError.type ?? 'Failed message'} <Status s={m.status} />
        </h1>
        {c.req.query('done') && <Flash kind="ok">{c.req.query('done')}</Flash>}
        {c.req.query('error') && <Flash kind="error">{c.req.query('error')}</Flash>}
        <div class="actions">
          {act('retry', 'Retry…', !m.invalid && (m.status === 'unresolved' || m.status === 'archived'))}
          {act('archive', 'Archive', m.status === 'unresolved')}
          {act('unarchive', 'Unarchive', m.status === 'archived')}
          {act('resolve', 'Resolve', m.status !== 'resolved')}
        </div>
        <div class="grid2">
          <section class="card">
            <h2>Message</h2>
            <dl class="kv">
              <dt>id</dt>
              <dd>
                <code>{m.id}</code>
              </dd>
              <dt>type</dt>
              <dd>{m.messageType}</dd>
              <dt>generation</dt>
              <dd>
                {m.generationId ? (
                  <a href={`/console/generations/${m.generationId}`}>{m.generationId}</a>
                ) : (
                  '—'
                )}
              </dd>
              <dt>model</dt>
              <dd>{m.model ?? '—'}</dd>
              <dt>first / last failed</dt>
              <dd>
                <Time at={m.firstFailedAt} /> / <Time at={m.lastFailedAt} />
              </dd>
              {m.retryBatchId && (
                <>
                  <dt>retry batch</dt>
                  <dd>
                    <a href={`/console/retries/${m.retryBatchId}`}>{m.retryBatchId}</a>
                  </dd>
                </>
              )}
              <dt>groups</dt>
              <dd>
                {m.groups.map((g) => (
                  <div>
                    <a href={`/console/failed/messages?groupId=${g.id}`}>{g.title}</a>{' '}
                    <span class="muted small">({g.classifier})</span>
                  </div>
                ))}
              </dd>
            </dl>
            <h2>Last error</h2>
            <p>{m.lastError.message}</p>
            {m.lastErrorStack && <pre>{m.lastErrorStack}</pre>}
          </section>
          <section class="card">
            <h2>Body{m.bodyTruncated ? ' (truncated)' : ''}</h2>
            <pre>{prettyJson(m.body)}</pre>
            <h2>Attributes</h2>
            <pre>{JSON.stringify(m.attributes, null, 2)}</pre>
          </section>
        </div>
        <h2>Attempts ({m.attempts.length})</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th class="num">#</th>
                <th>failed at</th>
                <th class="num">receive count</th>
                <th class="num hide-narrow">duration</th>
                <th>error</th>
                <th>compare</th>
              </tr>
            </thead>
            <tbody>
              {m.attempts.map((a, i) => (
                <tr>
                  <td class="num">{i + 1}</td>
                  <td>
                    <Time at={a.failedAt} />
                  </td>
                  <td class="num">{a.receiveCount}</td>
                  <td class="num hide-narrow">{fmtMs(durations[i])}</td>
                  <td>
                    <details>
                      <summary>
                        {a.errorType}: {a.errorMessage}
                      </summary>
                      <pre>{a.errorStack ?? '(no stack)'}</pre>
                    </details>
                  </td>
                  <td>
                    {i > 0 ? (
                      <a href={`/console/failed/messages/${m.id}/compare?attempt=${i + 1}`}>with #{i}</a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </>,
      { section: '/console/failed' },
    );
  });

  app.get('/failed/messages/:id/compare', async (c) => {
    const found = await detailOf(c.req.param('id'));
    if (!found)
      return render(c, 'Not found', <Flash kind="error">No failed message {c.req.param('id')}</Flash>, {
        status: 404,
      });
    const n = Number(c.req.query('attempt') ?? found.detail.attempts.length);
    const index = Number.isInteger(n) ? Math.min(Math.max(n, 1), found.detail.attempts.length) - 1 : 0;
    return render(
      c,
      'Compare attempts',
      <AttemptCompare detail={found.detail} index={index} durations={found.durations} />,
      {
        section: '/console/failed',
      },
    );
  });

  registerRetryPages(app, s, { describeSelection, selectionOf });
}

function prettyJson(body: string) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
