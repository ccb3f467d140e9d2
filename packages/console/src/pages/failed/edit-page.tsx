/** @jsxImportSource hono/jsx */
import type { FailedMessageDetail } from '@genledger/core/contracts/failed-messages';
import { canonicalId } from '@genledger/core/contracts/ids';
import { MAX_EDIT_REASON_LENGTH } from '@genledger/core/contracts/message-edit';
import { type FieldError, HTTP_STATUS, isAppError } from '@genledger/core/errors';
import {
  editAndRetryFailedMessage,
  whyNotEditable,
} from '@genledger/core/use-cases/failed-messages/edit-and-retry';
import { processRetryBatch } from '@genledger/core/use-cases/failed-messages/process-retry-batch';
import type { Hono } from 'hono';
import type { ConsoleContext, ConsoleEnv, ConsoleServices } from '../../env.ts';
import { form, one } from '../../http/form.ts';
import { setFlash } from '../../session/flash-cookie.ts';
import { metadataOf } from '../../session/who.ts';
import { Csrf } from '../../ui/csrf-field.tsx';
import { Flash } from '../../ui/flash.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { render } from '../../ui/render.tsx';
import { Status } from '../../ui/status.tsx';

/** How long the edit's request re-sends before showing the receipt; maintenance continues it. */
const INLINE_RETRY_BUDGET_MS = 2_000;
const SECTION = '/console/failed';

function prettyJson(body: string) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** What the operator typed, and what is wrong with it, shown again beside the form. */
interface Typed {
  body: string;
  reason: string;
  detail: string;
  errors: FieldError[];
}

/** The edit form: the message as JSON and a required reason, checked by the message's own schema. */
function EditPage(props: { ctx: PageContext; m: FailedMessageDetail; typed?: Typed }) {
  const { m, typed } = props;
  const back = `/console/failed/messages/${m.id}`;
  return (
    <>
      <p class="small">
        <a href={back}>← The failed message</a>
      </p>
      <h1>
        Edit and retry <Status s={m.status} />
      </h1>
      <p>
        The message is checked against the <code>generation.requested</code> contract and sent as a new
        attempt. The failed message keeps its body; the edit, who made it and why go on the retry's receipt
        and in the event log. The generation id, an existing generation's idempotency key and the webhook stay
        as they are.
      </p>
      <p data-testid="last-error">
        <strong>Last error:</strong> {m.lastError.type ?? 'unknown'}: {m.lastError.message ?? '—'}
      </p>
      {typed && (
        <div class="flash error" role="alert" id="edit-errors">
          <p>Nothing was sent: {typed.detail}</p>
          <ul>
            {typed.errors.map((e) => (
              <li>
                <code>{e.field}</code>: {e.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <form method="post" action={`${back}/edit`} class="stack">
        <Csrf ctx={props.ctx} />
        <label>
          Message (JSON)
          <textarea
            name="body"
            rows={22}
            spellcheck={false}
            class="code"
            aria-invalid={typed ? 'true' : undefined}
            aria-describedby={typed ? 'edit-errors' : undefined}
          >
            {typed ? typed.body : prettyJson(m.body)}
          </textarea>
        </label>
        <label>
          Reason (required, kept on the receipt)
          <input
            type="text"
            name="reason"
            required
            maxlength={MAX_EDIT_REASON_LENGTH}
            value={typed?.reason ?? ''}
            placeholder="e.g. model renamed to sdxl-turbo"
          />
        </label>
        <div class="actions">
          <button type="submit">Send as a new attempt</button>
          <a class="button secondary" href={back}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}

const refusedPage = (c: ConsoleContext, id: string, status: number, message: string) =>
  render(
    c,
    'Not edited',
    <>
      <Flash kind="error">Not edited: {message}</Flash>
      <p>
        <a href={`/console/failed/messages/${id}`}>Back to the failed message</a>
      </p>
    </>,
    { status, section: SECTION },
  );

/** Validates, records and sends the edit; the receipt, or the form again with what was typed. */
async function submitEdit(c: ConsoleContext, s: ConsoleServices, m: FailedMessageDetail) {
  const body = await form(c);
  const typed = { body: one(body.body) ?? '', reason: one(body.reason) ?? '' };
  let outcome: Awaited<ReturnType<typeof editAndRetryFailedMessage>>;
  try {
    outcome = await editAndRetryFailedMessage(
      s.deps,
      { id: m.id, ...typed },
      { requestedBy: c.get('who').id, metadata: metadataOf(c) },
    );
  } catch (e) {
    if (!isAppError(e)) throw e;
    if (e.kind !== 'validation') return refusedPage(c, m.id, HTTP_STATUS[e.kind], e.message);
    const page = (
      <EditPage ctx={c.get('page')} m={m} typed={{ ...typed, detail: e.message, errors: e.fieldErrors }} />
    );
    return render(c, 'Edit and retry', page, { status: 400, section: SECTION });
  }
  await processRetryBatch(
    {
      batches: s.deps.retryBatches,
      queue: s.deps.queue,
      messagesPerSecond: await s.deps.settings.get('retry.messagesPerSecond'),
      deadline: Date.now() + INLINE_RETRY_BUDGET_MS,
    },
    outcome.retryBatchId,
  );
  const fields = outcome.changes.map((ch) => ch.path).join(', ');
  setFlash(
    c,
    s.deps.sessionSecret,
    { kind: 'ok', text: `Edited (${fields}) and sent as a new attempt.` },
    s.now(),
  );
  return c.redirect(`/console/retries/${outcome.retryBatchId}`, 303);
}

/** GET and POST /console/failed/messages/:id/edit (admins, as every failed-message page). */
export function registerEditPage(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const load = async (c: ConsoleContext) => {
    const id = canonicalId(c.req.param('id') ?? '');
    const m = id.length === 64 ? await s.deps.failedMessages.get(id) : undefined;
    if (!m) return { page: await refusedPage(c, id, 404, `no failed message ${id}`) };
    const why = whyNotEditable(m);
    if (why) return { page: await refusedPage(c, id, 409, why) };
    return { m };
  };
  app.get('/failed/messages/:id/edit', async (c) => {
    const found = await load(c);
    if (!found.m) return found.page;
    return render(c, 'Edit and retry', <EditPage ctx={c.get('page')} m={found.m} />, { section: SECTION });
  });
  app.post('/failed/messages/:id/edit', async (c) => {
    const found = await load(c);
    if (!found.m) return found.page;
    return submitEdit(c, s, found.m);
  });
}
