/** @jsxImportSource hono/jsx */
import { isAppError } from '@genledger/core/errors';
import type { Selection } from '@genledger/core/ports/console-read-model';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import { processRetryBatch } from '@genledger/core/use-cases/failed-messages/process-retry-batch';
import type { ConsoleContext, ConsoleServices } from '../../env.ts';
import { form, one } from '../../http/form.ts';
import { metadataOf } from '../../session/who.ts';
import { Flash } from '../../ui/flash.tsx';
import { render } from '../../ui/render.tsx';
import { groupCursorOf, selectionOf } from '../failed/selection.ts';

/** How long the send request re-sends before showing the receipt; maintenance continues the rest. */
const INLINE_RETRY_BUDGET_MS = 2_000;

interface RetryOutcome {
  changed: number;
  skipped: number;
  more: boolean;
  next?: string | null;
  retryBatchId: string | null;
}

/**
 * Issues the retry batch: a group from where the previous run stopped (`after`), other selections
 * by their eligible ids. The batch's selector is what the receipt shows as "what"; the reason
 * rides along with it.
 */
async function issueRetry(
  c: ConsoleContext,
  s: ConsoleServices,
  sel: Selection,
  reason: string,
  after: string | undefined,
): Promise<RetryOutcome> {
  const { deps } = s;
  const why = reason ? { reason } : {};
  const options = { requestedBy: c.get('who').id, metadata: { ...metadataOf(c), ...why } };
  if ('groupId' in sel)
    return changeFailedMessageStatus(
      deps,
      'retry',
      { groupId: sel.groupId, ...why },
      { ...options, ...(after ? { after } : {}) },
    );
  const { ids, more } = await deps.readModel.eligibleIds('retry', sel);
  if (ids.length === 0) return { changed: 0, skipped: 0, more: false, retryBatchId: null };
  return { ...(await changeFailedMessageStatus(deps, 'retry', { ids, ...why }, options)), more };
}

/**
 * The preview's send: the batch is issued, re-sent for up to INLINE_RETRY_BUDGET_MS, and the
 * browser goes to its receipt (which says when the selection had more than one retry takes).
 */
export async function sendRetry(c: ConsoleContext, s: ConsoleServices) {
  const { deps } = s;
  const body = await form(c);
  const sel = selectionOf(body);
  if (!sel)
    return render(c, 'Retry', <Flash kind="error">Nothing selected to retry.</Flash>, { status: 400 });
  const reason = (one(body.reason) ?? '').trim().slice(0, 200);
  let outcome: RetryOutcome;
  try {
    outcome = await issueRetry(c, s, sel, reason, groupCursorOf(one(body.after)));
  } catch (e) {
    if (!isAppError(e)) throw e;
    return render(c, 'Retry', <Flash kind="error">Nothing was retried: {e.message}</Flash>, { status: 409 });
  }
  if (!outcome.retryBatchId) {
    const none = <Flash kind="error">Nothing was eligible for a retry ({outcome.skipped} skipped).</Flash>;
    return render(c, 'Retry', none, { status: 409 });
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
  const rest = outcome.more ? `?more=1${outcome.next ? `&after=${outcome.next}` : ''}` : '';
  return c.redirect(`/console/retries/${outcome.retryBatchId}${rest}`, 303);
}
