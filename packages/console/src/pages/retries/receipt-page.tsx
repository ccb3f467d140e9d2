/** @jsxImportSource hono/jsx */
import { MAX_PER_OPERATION, type RetryBatch } from '@genledger/core/contracts/failed-messages';
import type { ConsoleServices } from '../../env.ts';
import { Flash } from '../../ui/flash.tsx';
import { Time } from '../../ui/time.tsx';
import { ReceiptEdit } from './receipt-edit.tsx';
import { ReceiptLive } from './receipt-live.tsx';
import { selectorText } from './selector-text.ts';

/** Who, when, what and why of a batch. */
function ReceiptFacts(props: {
  batch: RetryBatch;
  names: Map<string, string>;
  groupTitles: Map<string, string>;
}) {
  const { batch, names } = props;
  const reason = typeof batch.selector.reason === 'string' ? batch.selector.reason : null;
  return (
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
            {selectorText(batch.selector, props.groupTitles)}
          </a>
        ) : (
          selectorText(batch.selector, props.groupTitles)
        )}
        {batch.skipped > 0 && `, ${batch.skipped} skipped as not eligible`}
      </dd>
      <dt>why</dt>
      <dd>{reason ?? <span class="muted">no reason given</span>}</dd>
    </dl>
  );
}

/** A batch that took one operation's worth of a larger selection: how to send the rest. */
function MoreLeft(props: { batch: RetryBatch; restAfter: string | undefined }) {
  const groupId = props.batch.selector.groupId;
  return (
    <Flash kind="ok">
      This batch took the first {MAX_PER_OPERATION.toLocaleString('en-US')} eligible messages by id; more are
      left.{' '}
      {typeof groupId === 'string' ? (
        <a
          href={`/console/retry/preview?groupId=${encodeURIComponent(groupId)}${
            props.restAfter ? `&after=${props.restAfter}` : ''
          }`}
        >
          Preview a retry of the rest
        </a>
      ) : (
        'Retry the same selection again for the rest'
      )}{' '}
      once these have settled.
    </Flash>
  );
}

/** A retry batch's receipt: what was asked, and every message's outcome as it settles. */
export function ReceiptPage(props: {
  s: ConsoleServices;
  batch: RetryBatch;
  names: Map<string, string>;
  groupTitles: Map<string, string>;
  /** The send took one operation's worth; a group's rest goes on after this member. */
  more: boolean;
  restAfter: string | undefined;
}) {
  return (
    <>
      <p class="small">
        <a href="/console/retries">← Retry batches</a>
      </p>
      <h1>Retry receipt</h1>
      <ReceiptFacts batch={props.batch} names={props.names} groupTitles={props.groupTitles} />
      {props.more && <MoreLeft batch={props.batch} restAfter={props.restAfter} />}
      <ReceiptEdit batch={props.batch} />
      <h2>Progress</h2>
      <ReceiptLive s={props.s} batch={props.batch} />
    </>
  );
}
