/** @jsxImportSource hono/jsx */
import type { FailedMessageDetail, FailedMessageOperation } from '@genledger/core/contracts/failed-messages';
import { whyNotEditable } from '@genledger/core/use-cases/failed-messages/edit-and-retry';
import { Csrf } from '../../ui/csrf-field.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { milliseconds } from '../../ui/milliseconds.ts';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';
import type { MessageDetail } from './message-detail.ts';

function prettyJson(body: string) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** The operations the message's status allows, each a one-button form that comes back here. */
function Actions(props: { ctx: PageContext; m: FailedMessageDetail }) {
  const { m } = props;
  const act = (op: FailedMessageOperation, label: string, enabled: boolean) =>
    enabled && (
      <form method="post" action="/console/failed/action">
        <Csrf ctx={props.ctx} />
        <input type="hidden" name="id" value={m.id} />
        <input type="hidden" name="back" value={`/console/failed/messages/${m.id}`} />
        <button
          type="submit"
          name="op"
          value={op}
          class={op === 'retry' ? '' : 'secondary'}
          data-confirm={op === 'archive' || op === 'resolve' ? `${label} this message?` : undefined}
        >
          {label}
        </button>
      </form>
    );
  return (
    <div class="actions">
      {act('retry', 'Retry…', !m.invalid && (m.status === 'unresolved' || m.status === 'archived'))}
      {!whyNotEditable(m) && (
        <a class="button" href={`/console/failed/messages/${m.id}/edit`}>
          Edit and retry…
        </a>
      )}
      {act('archive', 'Archive', m.status === 'unresolved')}
      {act('unarchive', 'Unarchive', m.status === 'archived')}
      {act('resolve', 'Resolve', m.status !== 'resolved')}
      {act('reopen', 'Reopen', m.status === 'resolved')}
    </div>
  );
}

function MessageCard(props: { m: FailedMessageDetail }) {
  const { m } = props;
  return (
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
          {m.generationId ? <a href={`/console/generations/${m.generationId}`}>{m.generationId}</a> : '—'}
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
      {m.lastErrorStack && <pre tabindex={0}>{m.lastErrorStack}</pre>}
    </section>
  );
}

function Attempts(props: { found: MessageDetail }) {
  const { detail: m, durations } = props.found;
  return (
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
              <td class="num hide-narrow">{milliseconds(durations[i])}</td>
              <td>
                <details>
                  <summary>
                    {a.errorType}: {a.errorMessage}
                  </summary>
                  <pre tabindex={0}>{a.errorStack ?? '(no stack)'}</pre>
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
  );
}

/** Each edit-and-retry of the message: when, why, which fields, and its receipt. */
function Edits(props: { edits: MessageDetail['edits'] }) {
  if (props.edits.length === 0) return null;
  return (
    <>
      <h2>Edits ({props.edits.length})</h2>
      <ul>
        {props.edits.map(({ at, edit }) => (
          <li>
            <Time at={at} />: {edit.changes.map((ch) => ch.path).join(', ')}, “{edit.reason}”{' '}
            <a href={`/console/retries/${edit.retryBatchId}`}>receipt</a>
          </li>
        ))}
      </ul>
    </>
  );
}

/** One failed message: what can be done with it, its body, its last error and every attempt. */
export function MessagePage(props: { ctx: PageContext; found: MessageDetail }) {
  const m = props.found.detail;
  return (
    <>
      <p class="small">
        <a href="/console/failed/messages">← Failed messages</a>
      </p>
      <h1>
        {m.lastError.type ?? 'Failed message'} <Status s={m.status} />
      </h1>
      <Actions ctx={props.ctx} m={m} />
      <div class="grid2">
        <MessageCard m={m} />
        <section class="card">
          <h2>Body{m.bodyTruncated ? ' (truncated)' : ''}</h2>
          <pre tabindex={0}>{prettyJson(m.body)}</pre>
          <h2>Attributes</h2>
          <pre tabindex={0}>{JSON.stringify(m.attributes, null, 2)}</pre>
        </section>
      </div>
      <Edits edits={props.found.edits} />
      <h2>Attempts ({m.attempts.length})</h2>
      <Attempts found={props.found} />
    </>
  );
}
