/** @jsxImportSource hono/jsx */
import {
  FAILED_MESSAGE_STATUSES,
  type FailedMessageStatus,
  type FailedMessageSummary,
  OPERATION_FROM,
} from '@genledger/core/contracts/failed-messages';
import type { CappedCount, MessageLabel } from '@genledger/core/ports/console-read-model';
import { Csrf } from '../../ui/csrf-field.tsx';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { Flash } from '../../ui/flash.tsx';
import { href } from '../../ui/href.ts';
import type { PageContext } from '../../ui/layout.tsx';
import { Live } from '../../ui/live.tsx';
import { messageName } from '../../ui/message-name.ts';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';
import type { ListQuery } from './list-query.ts';
import { DONE_VERB, OPERATIONS, operationLabel } from './operations.ts';

const SORTS: [ListQuery['sort'], string][] = [
  ['-lastFailedAt', 'last failed, newest first'],
  ['lastFailedAt', 'last failed, oldest first'],
  ['-firstFailedAt', 'first failed, newest first'],
  ['firstFailedAt', 'first failed, oldest first'],
];

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

function Filters(props: { q: ListQuery }) {
  const { q } = props;
  return (
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
          {SORTS.map(([value, label]) => (
            <option value={value} selected={q.sort === value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** The bulk operations form: the ticked rows (form="bulk") or, with "all matching", the filter. */
function BulkForm(props: {
  ctx: PageContext;
  q: ListQuery;
  back: string;
  total: CappedCount;
  groupTitle: string | undefined;
}) {
  const { q, total } = props;
  const shown = `${total.n}${total.more ? '+' : ''}`;
  return (
    <form
      id="bulk"
      method="post"
      action="/console/failed/action"
      data-eligible={JSON.stringify(OPERATION_FROM)}
    >
      <Csrf ctx={props.ctx} />
      {q.status.map((s) => (
        <input type="hidden" name="status" value={s} />
      ))}
      {q.groupId && <input type="hidden" name="groupId" value={q.groupId} />}
      {q.q && <input type="hidden" name="q" value={q.q} />}
      {q.from && <input type="hidden" name="from" value={q.from} />}
      {q.to && <input type="hidden" name="to" value={q.to} />}
      <input type="hidden" name="back" value={props.back} />
      <div class="actions">
        <label>
          <input type="checkbox" id="select-page" /> this page
        </label>
        <label>
          <input type="checkbox" id="select-all-matching" name="scope" value="matching" data-total={shown} />{' '}
          all {total.n}
          {total.more ? '+' : ''} matching
        </label>
        <output id="selection-count" aria-live="polite">
          0 selected
        </output>
        <output id="selection-why" class="small muted" aria-live="polite" />
        {OPERATIONS.map((op) => (
          <button
            type="submit"
            name="op"
            value={op}
            data-needs-selection
            data-op={op}
            data-verb={DONE_VERB[op]}
            data-confirm={
              op === 'archive' || op === 'resolve'
                ? `${operationLabel(op)} {n} message{s}${props.groupTitle ? ` in ${props.groupTitle}` : ''}?`
                : undefined
            }
            class={op === 'retry' ? '' : 'secondary'}
          >
            {op === 'retry' ? 'Retry…' : operationLabel(op)}
          </button>
        ))}
        <span class="kbd">shift-click selects a range · j/k move · x selects</span>
      </div>
    </form>
  );
}

function MessageRow(props: { m: FailedMessageSummary; label: MessageLabel | undefined; checked: boolean }) {
  const { m } = props;
  const name = messageName({
    id: m.id,
    prompt: props.label?.prompt ?? null,
    model: m.model,
    errorType: m.lastError.type,
  });
  return (
    <tr data-row>
      <td>
        <input
          type="checkbox"
          class="sel"
          name="id"
          value={m.id}
          form="bulk"
          checked={props.checked}
          data-status={m.status}
          data-invalid={m.invalid ? '' : undefined}
          data-name={name}
          aria-label={`select ${name}`}
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
        {props.label?.prompt && (
          <>
            <br />
            <span class="small muted">{name}</span>
          </>
        )}
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
  );
}

function MessagesTable(props: {
  here: string;
  items: FailedMessageSummary[];
  labels: Map<string, MessageLabel>;
  selected: Set<string>;
}) {
  return (
    <Live id="live-messages" url={props.here}>
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
          {props.items.map((m) => (
            <MessageRow m={m} label={props.labels.get(m.id)} checked={props.selected.has(m.id)} />
          ))}
          {props.items.length === 0 && <EmptyRow cols={7}>No failed messages match.</EmptyRow>}
        </tbody>
      </table>
    </Live>
  );
}

/** A page of failed messages: filters, the bulk form, the table and the page links. */
export function MessagesPage(props: {
  ctx: PageContext;
  q: ListQuery;
  items: FailedMessageSummary[];
  labels: Map<string, MessageLabel>;
  total: CappedCount;
  next?: string;
  groupTitle?: string;
  /** This page's URL, which its live list polls. */
  here: string;
  /** Ids ticked before a refused action: they stay ticked. */
  selected: string[];
  /** What is wrong with the page link (a cursor of another search). */
  error?: string;
}) {
  const { q } = props;
  const base = { status: q.status, groupId: q.groupId, q: q.q, from: q.from, to: q.to, sort: q.sort };
  return (
    <>
      <p class="small">
        <a href="/console/failed">← Failure groups</a>
      </p>
      <h1>Failed messages{props.groupTitle ? `: ${props.groupTitle}` : ''}</h1>
      <Filters q={q} />
      {props.error && <Flash kind="error">{props.error}</Flash>}
      <BulkForm
        ctx={props.ctx}
        q={q}
        back={href('/console/failed/messages', base)}
        total={props.total}
        groupTitle={props.groupTitle}
      />
      <MessagesTable
        here={props.here}
        items={props.items}
        labels={props.labels}
        selected={new Set(props.selected)}
      />
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
