/** @jsxImportSource hono/jsx */

import { MAX_PER_OPERATION, type RetryBatch } from '@genledger/core/contracts/failed-messages';
import { isAppError } from '@genledger/core/errors';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import { processRetryBatch } from '@genledger/core/use-cases/failed-messages/process-retry-batch';
import type { Hono } from 'hono';
import * as z from 'zod';
import {
  type ConsoleContext,
  type ConsoleEnv,
  type ConsoleServices,
  form,
  fragment,
  metadataOf,
  one,
  render,
} from './context.tsx';
import { Csrf, EmptyRow, Flash, type PageContext, Status, Time } from './layout.tsx';
import type { BatchMessage, ConsoleQueries, Selection } from './queries.ts';

/** A group operation's cursor as a form or link carries it: a member id, else nothing. */
export const cursorOf = (v: string | undefined) => (v && /^[0-9a-f]{64}$/.test(v) ? v : undefined);

/** How long the send request re-sends before showing the receipt; maintenance continues the rest. */
const INLINE_RETRY_BUDGET_MS = 2_000;
/** "Still failing": dead-letterings of the same selection within this many minutes. */
const RECENT_MINUTES = 5;

type Preview = Awaited<ReturnType<ConsoleQueries['retryPreview']>>;

function SelectionInputs(props: { sel: Selection }) {
  const { sel } = props;
  if ('ids' in sel)
    return (
      <>
        {sel.ids.map((id) => (
          <input type="hidden" name="id" value={id} />
        ))}
      </>
    );
  if ('groupId' in sel)
    return (
      <>
        <input type="hidden" name="scope" value="group" />
        <input type="hidden" name="groupId" value={sel.groupId} />
      </>
    );
  return (
    <>
      <input type="hidden" name="scope" value="matching" />
      {sel.filter.statuses.map((s) => (
        <input type="hidden" name="status" value={s} />
      ))}
      {sel.filter.groupId && <input type="hidden" name="groupId" value={sel.filter.groupId} />}
      {sel.filter.q && <input type="hidden" name="q" value={sel.filter.q} />}
      {sel.filter.from && <input type="hidden" name="from" value={sel.filter.from} />}
      {sel.filter.to && <input type="hidden" name="to" value={sel.filter.to} />}
    </>
  );
}

const duration = (seconds: number) =>
  seconds < 1
    ? 'under a second'
    : seconds < 120
      ? `about ${Math.ceil(seconds)} s`
      : `about ${Math.ceil(seconds / 60)} min`;

export function RetryPreview(props: {
  ctx: PageContext;
  sel: Selection;
  /** A group's retry goes on past this member (the previous batch's end). */
  after?: string;
  preview: Preview;
  rate: number;
  what: string;
}) {
  const { preview: p, rate } = props;
  return (
    <>
      <h1>Retry preview</h1>
      <p>Retrying {props.what}. Nothing has been sent yet.</p>
      <div class="cards">
        <div class="card">
          <div class="n" data-testid="retry-count">
            {p.eligible}
          </div>
          <div class="l">messages will be re-sent</div>
        </div>
        <div class="card">
          <div class="n">{duration(p.eligible / rate)}</div>
          <div class="l">at {rate} messages/s (setting retry.messagesPerSecond)</div>
        </div>
        <div class="card">
          <div class="n">{p.recentFailures}</div>
          <div class="l">dead-letterings in the last {RECENT_MINUTES} minutes</div>
        </div>
      </div>
      {p.recentFailures > 0 ? (
        <Flash kind="error">
          The same failure is still happening: the last one was at <Time at={p.lastRecentFailure} />. A retry
          now may fail again.
        </Flash>
      ) : (
        <Flash kind="ok">No new failures of these messages in the last {RECENT_MINUTES} minutes.</Flash>
      )}
      {p.more && (
        <p>
          More than {p.eligible} messages match: a retry sends the first {p.eligible} (in id order). Run it
          again for the rest once they have settled.
        </p>
      )}
      {p.invalid > 0 && (
        <p class="muted">{p.invalid} message(s) never parsed and are left out: they would fail again.</p>
      )}
      <h2>Sample</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>last failed</th>
              <th>error</th>
              <th class="hide-narrow">model</th>
              <th class="num">attempts</th>
            </tr>
          </thead>
          <tbody>
            {p.sample.map((m) => (
              <tr>
                <td>
                  <a href={`/console/failed/messages/${m.id}`}>
                    <Time at={m.lastFailedAt} />
                  </a>
                </td>
                <td>
                  {m.errorType}: {(m.errorMessage ?? '').slice(0, 140)}
                </td>
                <td class="hide-narrow">{m.model}</td>
                <td class="num">{m.attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form method="post" action="/console/retry" class="stack">
        <Csrf ctx={props.ctx} />
        <SelectionInputs sel={props.sel} />
        {props.after && 'groupId' in props.sel && <input type="hidden" name="after" value={props.after} />}
        <label>
          Reason (kept on the receipt)
          <input
            type="text"
            name="reason"
            maxlength={200}
            placeholder="e.g. backend fixed after incident 42"
          />
        </label>
        <div class="actions">
          <button type="submit" disabled={p.eligible === 0}>
            Send {p.eligible} message{p.eligible === 1 ? '' : 's'}
          </button>
          <a class="button secondary" href="/console/failed">
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}

interface ReceiptCounts {
  succeeded: number;
  failedAgain: number;
  pending: number;
}

function countsOf(messages: BatchMessage[]): ReceiptCounts {
  let succeeded = 0;
  let failedAgain = 0;
  for (const m of messages) {
    if (m.status === 'resolved') succeeded++;
    else if (m.failedAgain) failedAgain++;
  }
  return { succeeded, failedAgain, pending: messages.length - succeeded - failedAgain };
}

const outcomeOf = (m: BatchMessage) =>
  m.status === 'resolved'
    ? 'succeeded'
    : m.failedAgain
      ? 'failed again'
      : m.status === 'retry_issued'
        ? 'pending'
        : m.status;

async function ReceiptLive(props: { s: ConsoleServices; batch: RetryBatch }) {
  const { batch } = props;
  const messages = await props.s.queries.batchMessages(batch.id, batch.createdAt);
  const n = countsOf(messages);
  const settled = (batch.status === 'completed' || batch.status === 'failed') && n.pending === 0;
  return (
    <div
      id="receipt-live"
      hx-get={settled ? undefined : `/console/retries/${batch.id}/live`}
      hx-trigger={settled ? undefined : 'every 1s, console:visible'}
      hx-swap="outerHTML"
      data-poll={settled ? undefined : ''}
      data-settled={settled ? 'true' : 'false'}
    >
      <div class="cards">
        <div class="card">
          <div class="n">
            <Status s={batch.status} />
          </div>
          <div class="l">sending</div>
        </div>
        <div class="card">
          <div class="n" data-count="sent">
            {batch.sent} / {batch.total}
          </div>
          <div class="l">sent</div>
        </div>
        <div class="card">
          <div class="n" data-count="succeeded">
            {n.succeeded}
          </div>
          <div class="l">succeeded</div>
        </div>
        <div class="card">
          <div class="n" data-count="failed-again">
            {n.failedAgain}
          </div>
          <div class="l">failed again</div>
        </div>
        <div class="card">
          <div class="n" data-count="pending">
            {n.pending}
          </div>
          <div class="l">pending</div>
        </div>
      </div>
      <p>
        <progress
          max={Math.max(1, batch.total)}
          value={n.succeeded + n.failedAgain}
          aria-label="messages settled"
        >
          {n.succeeded + n.failedAgain} of {batch.total}
        </progress>{' '}
        {settled ? 'Finished.' : 'Updating every second…'}
      </p>
      {batch.lastError && <Flash kind="error">Last send error: {batch.lastError}</Flash>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>message</th>
              <th>outcome</th>
              <th>status now</th>
              <th class="hide-narrow">generation</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr data-message={m.id}>
                <td>
                  <a href={`/console/failed/messages/${m.id}`}>{m.id.slice(0, 16)}…</a>
                </td>
                <td>{outcomeOf(m)}</td>
                <td>
                  <Status s={m.status} />
                </td>
                <td class="hide-narrow">
                  {m.generationId ? (
                    <a href={`/console/generations/${m.generationId}`}>
                      {m.generationStatus ?? m.generationId}
                    </a>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function selectorText(selector: Record<string, unknown>) {
  if (typeof selector.groupId === 'string') return `group ${selector.groupId.slice(0, 12)}…`;
  if (Array.isArray(selector.ids)) return `${selector.ids.length} selected message(s)`;
  return JSON.stringify(selector);
}

export function registerRetryPages(
  app: Hono<ConsoleEnv>,
  s: ConsoleServices,
  helpers: {
    describeSelection(sel: Selection): string;
    selectionOf(body: Record<string, string | string[]>): Selection | undefined;
  },
) {
  const { deps, queries } = s;

  app.get('/retry/preview', async (c) => {
    const raw = c.req.queries();
    const body: Record<string, string[]> = { ...raw };
    if (raw.groupId && !raw.scope) body.scope = ['group'];
    const sel = helpers.selectionOf(body);
    if (!sel)
      return render(c, 'Retry', <Flash kind="error">Nothing selected to retry.</Flash>, { status: 400 });
    const [preview, rate, groups] = await Promise.all([
      queries.retryPreview(sel, RECENT_MINUTES),
      deps.settings.get('retry.messagesPerSecond'),
      'groupId' in sel ? deps.failedMessages.groups() : Promise.resolve([]),
    ]);
    const title = 'groupId' in sel ? groups.find((g) => g.id === sel.groupId)?.title : undefined;
    const what = title ? `every message of the group “${title}”` : helpers.describeSelection(sel);
    const after = cursorOf(raw.after?.[0]);
    return render(
      c,
      'Retry preview',
      <RetryPreview
        ctx={c.get('page')}
        sel={sel}
        preview={preview}
        rate={rate}
        what={what}
        {...(after ? { after } : {})}
      />,
      {
        section: '/console/failed',
      },
    );
  });

  app.post('/retry', async (c: ConsoleContext) => {
    const body = await form(c);
    const sel = helpers.selectionOf(body);
    if (!sel)
      return render(c, 'Retry', <Flash kind="error">Nothing selected to retry.</Flash>, { status: 400 });
    const reason = (one(body.reason) ?? '').trim().slice(0, 200);
    const options = {
      requestedBy: c.get('who').id,
      metadata: { ...metadataOf(c), ...(reason ? { reason } : {}) },
    };
    let outcome: {
      changed: number;
      skipped: number;
      more: boolean;
      next?: string | null;
      retryBatchId: string | null;
    };
    try {
      // The batch's selector is what the receipt shows as "what"; the reason rides along with it.
      if ('groupId' in sel) {
        const after = cursorOf(one(body.after));
        outcome = await changeFailedMessageStatus(
          deps,
          'retry',
          { groupId: sel.groupId, ...(reason ? { reason } : {}) },
          { ...options, ...(after ? { after } : {}) },
        );
      } else {
        const { ids, more } = await queries.eligibleIds('retry', sel);
        outcome = ids.length
          ? {
              ...(await changeFailedMessageStatus(
                deps,
                'retry',
                { ids, ...(reason ? { reason } : {}) },
                options,
              )),
              more,
            }
          : { changed: 0, skipped: 0, more: false, retryBatchId: null };
      }
    } catch (e) {
      if (!isAppError(e)) throw e;
      return render(c, 'Retry', <Flash kind="error">Nothing was retried: {e.message}</Flash>, {
        status: 409,
      });
    }
    if (!outcome.retryBatchId) {
      return render(
        c,
        'Retry',
        <Flash kind="error">Nothing was eligible for a retry ({outcome.skipped} skipped).</Flash>,
        {
          status: 409,
        },
      );
    }
    await processRetryBatch(
      {
        batches: deps.retryBatches,
        queue: deps.queue,
        messagesPerSecond: await deps.settings.get('retry.messagesPerSecond'),
        deadline: Date.now() + INLINE_RETRY_BUDGET_MS,
      },
      outcome.retryBatchId,
    );
    // The receipt says when the selection had more than one retry takes.
    const rest = outcome.more ? `?more=1${outcome.next ? `&after=${outcome.next}` : ''}` : '';
    return c.redirect(`/console/retries/${outcome.retryBatchId}${rest}`, 303);
  });

  app.get('/retries', async (c) => {
    const [batches, names] = await Promise.all([deps.retryBatches.list(100), queries.keyNames()]);
    return render(
      c,
      'Retries',
      <>
        <h1>Retry batches</h1>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>requested</th>
                <th>by</th>
                <th>what</th>
                <th>status</th>
                <th class="num">sent / total</th>
                <th class="num hide-narrow">skipped</th>
              </tr>
            </thead>
            <tbody>
              {batches.map((b) => (
                <tr data-row>
                  <td>
                    <a href={`/console/retries/${b.id}`}>
                      <Time at={b.createdAt} />
                    </a>
                  </td>
                  <td>{b.requestedBy ? (names.get(b.requestedBy) ?? b.requestedBy) : '—'}</td>
                  <td>{selectorText(b.selector)}</td>
                  <td>
                    <Status s={b.status} />
                  </td>
                  <td class="num">
                    {b.sent} / {b.total}
                  </td>
                  <td class="num hide-narrow">{b.skipped}</td>
                </tr>
              ))}
              {batches.length === 0 && <EmptyRow cols={6}>No retries yet.</EmptyRow>}
            </tbody>
          </table>
        </div>
      </>,
      { section: '/console/retries' },
    );
  });

  const batchOf = async (id: string) =>
    z.uuid().safeParse(id).success ? deps.retryBatches.get(id) : undefined;

  app.get('/retries/:id', async (c) => {
    const batch = await batchOf(c.req.param('id'));
    if (!batch)
      return render(c, 'Not found', <Flash kind="error">No retry batch {c.req.param('id')}</Flash>, {
        status: 404,
      });
    const names = await queries.keyNames();
    const reason = typeof batch.selector.reason === 'string' ? batch.selector.reason : null;
    const restAfter = cursorOf(c.req.query('after'));
    return render(
      c,
      'Retry receipt',
      <>
        <p class="small">
          <a href="/console/retries">← Retry batches</a>
        </p>
        <h1>Retry receipt</h1>
        <dl class="kv card">
          <dt>batch</dt>
          <dd>
            <code>{batch.id}</code>
          </dd>
          <dt>who</dt>
          <dd>{batch.requestedBy ? (names.get(batch.requestedBy) ?? batch.requestedBy) : '—'}</dd>
          <dt>when</dt>
          <dd>
            <Time at={batch.createdAt} />
            {batch.completedAt && (
              <>
                {' '}
                – sent by <Time at={batch.completedAt} />
              </>
            )}
          </dd>
          <dt>what</dt>
          <dd>
            {typeof batch.selector.groupId === 'string' ? (
              <a
                href={`/console/failed/messages?groupId=${batch.selector.groupId}&status=unresolved&status=retry_issued&status=resolved`}
              >
                {selectorText(batch.selector)}
              </a>
            ) : (
              selectorText(batch.selector)
            )}
            {batch.skipped > 0 && `, ${batch.skipped} skipped as not eligible`}
          </dd>
          <dt>why</dt>
          <dd>{reason ?? <span class="muted">no reason given</span>}</dd>
        </dl>
        {c.req.query('more') === '1' && (
          <Flash kind="ok">
            This batch took the first {MAX_PER_OPERATION.toLocaleString('en-US')} eligible messages by id;
            more are left.{' '}
            {typeof batch.selector.groupId === 'string' ? (
              <a
                href={`/console/retry/preview?groupId=${encodeURIComponent(batch.selector.groupId)}${
                  restAfter ? `&after=${restAfter}` : ''
                }`}
              >
                Preview a retry of the rest
              </a>
            ) : (
              'Retry the same selection again for the rest'
            )}{' '}
            once these have settled.
          </Flash>
        )}
        <h2>Progress</h2>
        <ReceiptLive s={s} batch={batch} />
      </>,
      { section: '/console/retries' },
    );
  });

  app.get('/retries/:id/live', async (c) => {
    const batch = await batchOf(c.req.param('id'));
    if (!batch) return c.text('not found', 404);
    return fragment(c, <ReceiptLive s={s} batch={batch} />);
  });
}
