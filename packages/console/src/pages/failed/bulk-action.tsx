/** @jsxImportSource hono/jsx */
import {
  type FailedMessageOperation,
  MAX_PER_OPERATION,
  OPERATION_FROM,
} from '@genledger/core/contracts/failed-messages';
import { isAppError } from '@genledger/core/errors';
import type { Selection } from '@genledger/core/ports/console-read-model';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import type { ConsoleContext, ConsoleServices } from '../../env.ts';
import { form, one } from '../../http/form.ts';
import { type FlashMessage, setFlash } from '../../session/flash-cookie.ts';
import { metadataOf } from '../../session/who.ts';
import { messageName } from '../../ui/message-name.ts';
import { render } from '../../ui/render.tsx';
import { RECENT_MINUTES, RetryPreview } from '../retries/preview.tsx';
import { DONE_VERB, isOperation } from './operations.ts';
import { describeSelection, groupCursorOf, selectionOf } from './selection.ts';

/** An undo travels in the flash cookie (4 KB in all): up to this many ids fit. */
const MAX_UNDO = 25;
/** The operations an operator can take back from their notice, and what takes each back. */
const UNDO_OF: Partial<Record<string, 'unarchive' | 'reopen'>> = { archive: 'unarchive', resolve: 'reopen' };

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
  if (ids.length === 0) return { changed: 0, skipped: 0, more: false, ids };
  return { ...(await changeFailedMessageStatus(s.deps, op, { ids }, options)), more, ids };
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
 * Why an operation on chosen messages was refused (the use case takes them all or none), naming
 * each message that cannot take it by its prompt and model.
 */
async function refusal(s: ConsoleServices, op: FailedMessageOperation, ids: string[]) {
  const labels = await s.deps.readModel.messageLabels(ids);
  const blocked = labels.filter((m) => !OPERATION_FROM[op].includes(m.status));
  const named = blocked
    .slice(0, 5)
    .map((m) => `${messageName(m)} is ${m.status.replace('_', ' ')}`)
    .join('; ');
  const rest = blocked.length > 5 ? `; and ${blocked.length - 5} more` : '';
  return `Nothing was changed: ${blocked.length} of ${ids.length} selected cannot be ${DONE_VERB[op]}. ${named}${rest}.`;
}

/** The back link, with the ticked ids kept so a refused selection is still selected. */
function withSelection(backTo: string, sel: Selection | undefined) {
  if (!sel || !('ids' in sel)) return backTo;
  const kept = sel.ids.map((id) => `sel=${encodeURIComponent(id)}`).join('&');
  return `${backTo}${backTo.includes('?') ? '&' : '?'}${kept}`;
}

/**
 * A bulk form's operation on its selection: a retry shows its preview; the others are applied and
 * the form's page (`back`) says how it went, through the one-time flash (never text in the URL).
 * An archive or a resolve can be undone from that notice (unarchive, reopen). A group with more left than one run takes comes back
 * to the groups page with the next run offered, going on from this one's end.
 */
export async function bulkAction(c: ConsoleContext, s: ConsoleServices) {
  const body = await form(c);
  const op = one(body.op);
  const back = one(body.back);
  const backTo = back?.startsWith('/console/') ? back : '/console/failed/messages';
  const sel = selectionOf(body);
  const flash = (message: FlashMessage, to = backTo) => {
    setFlash(c, s.deps.sessionSecret, message, s.now());
    return c.redirect(to, 303);
  };
  if (!isOperation(op)) return flash({ kind: 'error', text: 'Choose an operation.' });
  if (!sel) return flash({ kind: 'error', text: 'Select at least one message.' });
  if (op === 'retry') return previewRetry(c, s, sel);
  try {
    const outcome = await applyOperation(c, s, op, sel, groupCursorOf(one(body.after)));
    const skipped = outcome.skipped ? `, ${outcome.skipped} skipped (not eligible)` : '';
    const cap = outcome.more ? ` (at most ${MAX_PER_OPERATION} at a time: run it again for the rest)` : '';
    // A group emptied meanwhile (the retention sweep took its last members) is nothing to do.
    const emptied = 'groupId' in sel && outcome.changed === 0 && outcome.skipped === 0;
    const text = emptied
      ? 'nothing left in this group'
      : `${outcome.changed} ${DONE_VERB[op]}${skipped}${cap}`;
    const undoOp = UNDO_OF[op];
    const undoable = undoOp && 'ids' in outcome && outcome.changed > 0 && outcome.ids.length <= MAX_UNDO;
    const done: FlashMessage = undoable
      ? { kind: 'ok', text, undo: { op: undoOp, ids: outcome.ids, back: backTo } }
      : { kind: 'ok', text };
    if ('groupId' in sel && outcome.more && 'next' in outcome)
      return flash(
        done,
        `${backTo}${backTo.includes('?') ? '&' : '?'}go=${op}&group=${sel.groupId}${outcome.next ? `&after=${outcome.next}` : ''}`,
      );
    return flash(done);
  } catch (e) {
    if (!isAppError(e)) throw e;
    const text = 'ids' in sel && e.kind === 'conflict' ? await refusal(s, op, sel.ids) : e.message;
    return flash({ kind: 'error', text: text.slice(0, 600) }, withSelection(backTo, sel));
  }
}
