/** @jsxImportSource hono/jsx */
import { type FailedMessageOperation, MAX_PER_OPERATION } from '@genledger/core/contracts/failed-messages';
import { isAppError } from '@genledger/core/errors';
import type { Selection } from '@genledger/core/ports/console-read-model';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import type { ConsoleContext, ConsoleServices } from '../../env.ts';
import { form, one } from '../../http/form.ts';
import { metadataOf } from '../../session/who.ts';
import { render } from '../../ui/render.tsx';
import { RECENT_MINUTES, RetryPreview } from '../retries/preview.tsx';
import { DONE_VERB, isOperation } from './operations.ts';
import { describeSelection, groupCursorOf, selectionOf } from './selection.ts';

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
  const { ids, more } = await s.deps.readModel.eligibleIds(op, sel);
  if (ids.length === 0) return { changed: 0, skipped: 0, more: false };
  return { ...(await changeFailedMessageStatus(s.deps, op, { ids }, options)), more };
}

async function previewRetry(c: ConsoleContext, s: ConsoleServices, sel: Selection) {
  const [preview, rate] = await Promise.all([
    s.deps.readModel.retryPreview(sel, RECENT_MINUTES),
    s.deps.settings.get('retry.messagesPerSecond'),
  ]);
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
    { section: '/console/failed' },
  );
}

/**
 * A bulk form's operation on its selection: a retry shows its preview; the others are applied and
 * the form's page (`back`) says how it went. A group with more left than one run takes comes back
 * to the groups page with the next run offered, going on from this one's end.
 */
export async function bulkAction(c: ConsoleContext, s: ConsoleServices) {
  const body = await form(c);
  const op = one(body.op);
  const back = one(body.back);
  const backTo = back?.startsWith('/console/') ? back : '/console/failed/messages';
  const sel = selectionOf(body);
  const withParam = (name: string, value: string) =>
    `${backTo}${backTo.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
  if (!isOperation(op)) return c.redirect(withParam('error', 'choose an operation'), 303);
  if (!sel) return c.redirect(withParam('error', 'select at least one message'), 303);
  if (op === 'retry') return previewRetry(c, s, sel);
  try {
    const outcome = await applyOperation(c, s, op, sel, groupCursorOf(one(body.after)));
    const skipped = outcome.skipped ? `, ${outcome.skipped} skipped (not eligible)` : '';
    const cap = outcome.more ? ` (at most ${MAX_PER_OPERATION} at a time: run it again for the rest)` : '';
    // A group emptied meanwhile (the retention sweep took its last members) is nothing to do.
    const emptied = 'groupId' in sel && outcome.changed === 0 && outcome.skipped === 0;
    const done = withParam(
      'done',
      emptied ? 'nothing left in this group' : `${outcome.changed} ${DONE_VERB[op]}${skipped}${cap}`,
    );
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
}
