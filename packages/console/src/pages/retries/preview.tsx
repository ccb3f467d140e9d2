/** @jsxImportSource hono/jsx */
import type {
  RetryPreview as Preview,
  RetrySample,
  Selection,
} from '@genledger/core/ports/console-read-model';
import { Csrf } from '../../ui/csrf-field.tsx';
import { Flash } from '../../ui/flash.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { Time } from '../../ui/time.tsx';

/** "Still failing": dead-letterings of the same selection within this many minutes. */
export const RECENT_MINUTES = 5;

/** The selection as the send form carries it on to POST /console/retry. */
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

function Outlook(props: { p: Preview; rate: number }) {
  const { p, rate } = props;
  return (
    <>
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
      {p.eligible === 0 ? (
        <Flash kind="ok">
          <span data-testid="nothing-to-retry">Nothing to retry:</span> none of these messages is unresolved
          or archived.
        </Flash>
      ) : p.recentFailures > 0 ? (
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
    </>
  );
}

function Sample(props: { sample: RetrySample[] }) {
  return (
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
          {props.sample.map((m) => (
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
  );
}

function SendForm(props: { ctx: PageContext; sel: Selection; after?: string; eligible: number }) {
  const { eligible } = props;
  return (
    <form method="post" action="/console/retry" class="stack">
      <Csrf ctx={props.ctx} />
      <SelectionInputs sel={props.sel} />
      {props.after && 'groupId' in props.sel && <input type="hidden" name="after" value={props.after} />}
      <label>
        Reason (kept on the receipt)
        <input type="text" name="reason" maxlength={200} placeholder="e.g. backend fixed after incident 42" />
      </label>
      <div class="actions">
        <button type="submit" disabled={eligible === 0}>
          Send {eligible} message{eligible === 1 ? '' : 's'}
        </button>
        <a class="button secondary" href="/console/failed">
          Cancel
        </a>
      </div>
    </form>
  );
}

/** What a retry would send, how long it would take, whether the failure is still happening; nothing is sent yet. */
export function RetryPreview(props: {
  ctx: PageContext;
  sel: Selection;
  /** A group's retry goes on past this member (the previous batch's end). */
  after?: string;
  preview: Preview;
  rate: number;
  what: string;
}) {
  return (
    <>
      <h1>Retry preview</h1>
      <p>Retrying {props.what}. Nothing has been sent yet.</p>
      <Outlook p={props.preview} rate={props.rate} />
      <h2>Sample</h2>
      <Sample sample={props.preview.sample} />
      <SendForm ctx={props.ctx} sel={props.sel} after={props.after} eligible={props.preview.eligible} />
    </>
  );
}
