import { canonicalId } from '@genledger/core/contracts/ids';
/** @jsxImportSource hono/jsx */
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ConsoleEnv, ConsoleServices } from '../../env.ts';
import { Flash } from '../../ui/flash.tsx';
import { hereOf } from '../../ui/live.tsx';
import { fragment, render } from '../../ui/render.tsx';
import { describeSelection, groupCursorOf, selectionOf } from '../failed/selection.ts';
import { BatchesPage } from './batches-page.tsx';
import { RECENT_MINUTES, RetryPreview } from './preview.tsx';
import { ReceiptLive } from './receipt-live.tsx';
import { ReceiptPage } from './receipt-page.tsx';
import { sendRetry } from './send-retry.tsx';

/** Staged retries: the preview, the send, the history and each batch's receipt. */
export function registerRetryPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const { deps } = s;
  const titlesOfGroups = async () =>
    new Map((await deps.failedMessages.groups()).map((g) => [g.id, g.title]));

  app.get('/retry/preview', async (c) => {
    const raw = c.req.queries();
    const body: Record<string, string[]> = { ...raw };
    if (raw.groupId && !raw.scope) body.scope = ['group'];
    const sel = selectionOf(body);
    if (!sel)
      return render(c, 'Retry', <Flash kind="error">Nothing selected to retry.</Flash>, { status: 400 });
    const [preview, rate, groups] = await Promise.all([
      deps.readModel.retryPreview(sel, RECENT_MINUTES),
      deps.settings.get('retry.messagesPerSecond'),
      'groupId' in sel ? deps.failedMessages.groups() : Promise.resolve([]),
    ]);
    const title = 'groupId' in sel ? groups.find((g) => g.id === sel.groupId)?.title : undefined;
    const what = title ? `every message of the group “${title}”` : describeSelection(sel);
    const after = groupCursorOf(raw.after?.[0]);
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
      { section: '/console/failed' },
    );
  });

  app.post('/retry', (c) => sendRetry(c, s));

  app.get('/retries', async (c) => {
    const [batches, names, groupTitles] = await Promise.all([
      deps.retryBatches.list(100),
      deps.readModel.keyNames(),
      titlesOfGroups(),
    ]);
    return render(
      c,
      'Retries',
      <BatchesPage batches={batches} names={names} groupTitles={groupTitles} here={hereOf(c)} />,
      {
        section: '/console/retries',
      },
    );
  });

  const batchOf = async (id: string) =>
    z.uuid().safeParse(id).success ? deps.retryBatches.get(id) : undefined;

  app.get('/retries/:id', async (c) => {
    const batch = await batchOf(canonicalId(c.req.param('id')));
    if (!batch)
      return render(
        c,
        'Not found',
        <Flash kind="error">No retry batch {canonicalId(c.req.param('id'))}</Flash>,
        {
          status: 404,
        },
      );
    const [names, groupTitles] = await Promise.all([deps.readModel.keyNames(), titlesOfGroups()]);
    return render(
      c,
      'Retry receipt',
      <ReceiptPage
        s={s}
        batch={batch}
        names={names}
        groupTitles={groupTitles}
        more={c.req.query('more') === '1'}
        restAfter={groupCursorOf(c.req.query('after'))}
      />,
      { section: '/console/retries' },
    );
  });

  app.get('/retries/:id/live', async (c) => {
    const batch = await batchOf(canonicalId(c.req.param('id')));
    if (!batch) return c.text('not found', 404);
    return fragment(c, <ReceiptLive s={s} batch={batch} />);
  });
}
