/** @jsxImportSource hono/jsx */
import type { RetryBatch } from '@genledger/core/contracts/failed-messages';
import type { BatchMessage } from '@genledger/core/ports/console-read-model';
import type { ConsoleServices } from '../../env.ts';
import { Flash } from '../../ui/flash.tsx';
import { messageName } from '../../ui/message-name.ts';
import { Status } from '../../ui/status.tsx';

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

function ReceiptCards(props: { batch: RetryBatch; n: ReceiptCounts }) {
  const { batch, n } = props;
  return (
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
  );
}

function ReceiptMessages(props: { messages: BatchMessage[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>message</th>
            <th class="hide-narrow">last error</th>
            <th>outcome</th>
            <th>status now</th>
            <th class="hide-narrow">generation</th>
          </tr>
        </thead>
        <tbody>
          {props.messages.map((m) => (
            <tr data-message={m.id}>
              <td>
                <a href={`/console/failed/messages/${m.id}`}>
                  {messageName({ id: m.id, prompt: m.prompt, model: m.model, errorType: m.lastErrorType })}
                </a>
              </td>
              <td class="hide-narrow small">
                {m.lastErrorType}: {(m.lastErrorMessage ?? '').slice(0, 100)}
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
  );
}

/** A receipt's progress, refreshed every second until the batch is sent and every message settled. */
export async function ReceiptLive(props: { s: ConsoleServices; batch: RetryBatch }) {
  const { batch } = props;
  const messages = await props.s.deps.readModel.batchMessages(batch.id, batch.createdAt);
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
      <ReceiptCards batch={batch} n={n} />
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
      <ReceiptMessages messages={messages} />
    </div>
  );
}
