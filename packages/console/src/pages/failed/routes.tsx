import { canonicalId } from '@genledger/core/contracts/ids';
/** @jsxImportSource hono/jsx */
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ConsoleContext, ConsoleEnv, ConsoleServices } from '../../env.ts';
import { lastDays } from '../../ui/charts.tsx';
import { Flash } from '../../ui/flash.tsx';
import { hereOf } from '../../ui/live.tsx';
import { nextPageCursor, readPageCursor } from '../../ui/page-cursor.ts';
import { render } from '../../ui/render.tsx';
import { AttemptCompare } from './attempt-compare.tsx';
import { bulkAction } from './bulk-action.tsx';
import { registerEditPage } from './edit-page.tsx';
import { GroupsPage } from './groups-page.tsx';
import { markGroupsSeen } from './groups-seen.ts';
import { filterOf, fingerprint, listFilterOf, parseList } from './list-query.ts';
import { messageDetail } from './message-detail.ts';
import { MessagePage } from './message-page.tsx';
import { MessagesPage } from './messages-page.tsx';
import { triaged, triageOf } from './triage.ts';

const PAGE_SIZE = 50;
const TREND_DAYS = 14;
const SECTION = '/console/failed';

/** Failed messages: the groups, the filtered list, one message, attempt comparison, bulk operations. */
export function registerFailedPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const { deps } = s;

  app.get('/failed', async (c) => {
    const days = lastDays(TREND_DAYS, s.now());
    const [all, trends] = await Promise.all([
      deps.failedMessages.groups(),
      deps.readModel.groupTrends(days[0]!),
    ]);
    const triage = triageOf(c.req.query());
    const groups = triaged(all, triage, (id) => trends.get(id)?.get(days.at(-1)!) ?? 0);
    const samples = await deps.readModel.groupSamples(groups.map((g) => g.id));
    const trendOf = (groupId: string) => days.map((d) => trends.get(groupId)?.get(d) ?? 0);
    markGroupsSeen(c, s.now());
    return render(
      c,
      'Failed messages',
      <GroupsPage
        ctx={c.get('page')}
        groups={groups}
        hidden={all.filter((g) => g.classifier === triage.by).length - groups.length}
        triage={triage}
        samples={samples}
        trendOf={trendOf}
        trendDays={TREND_DAYS}
        query={c.req.query()}
        here={hereOf(c)}
      />,
      { section: SECTION },
    );
  });

  app.get('/failed/messages', (c) => listMessages(c, s));

  app.post('/failed/action', (c) => bulkAction(c, s));

  const notFound = (id: string) => <Flash kind="error">No failed message {id}</Flash>;

  app.get('/failed/messages/:id', async (c) => {
    const found = await messageDetail(deps, canonicalId(c.req.param('id')));
    if (!found) return render(c, 'Not found', notFound(canonicalId(c.req.param('id'))), { status: 404 });
    return render(
      c,
      `Failed message ${found.detail.id.slice(0, 12)}`,
      <MessagePage ctx={c.get('page')} found={found} />,
      { section: SECTION },
    );
  });

  registerEditPage(app, s);

  app.get('/failed/messages/:id/compare', async (c) => {
    const found = await messageDetail(deps, canonicalId(c.req.param('id')));
    if (!found) return render(c, 'Not found', notFound(canonicalId(c.req.param('id'))), { status: 404 });
    const count = found.detail.attempts.length;
    const n = Number(c.req.query('attempt') ?? count);
    const index = Number.isInteger(n) ? Math.min(Math.max(n, 1), count) - 1 : 0;
    return render(c, 'Compare attempts', <AttemptCompare found={found} index={index} />, {
      section: SECTION,
    });
  });
}

/** A page of the failed messages matching the query, with how many match in all. */
async function listMessages(c: ConsoleContext, s: ConsoleServices) {
  const { deps } = s;
  const parsed = parseList(c.req.queries());
  if (!parsed.success) {
    const invalid = <Flash kind="error">Invalid filter: {parsed.error.issues[0]?.message}</Flash>;
    return render(c, 'Failed messages', invalid, { status: 400, section: SECTION });
  }
  const q = parsed.data;
  const f = fingerprint(q);
  const cursor = readPageCursor(deps.cursors, q.cursor, f, { key: z.string(), id: z.string() }, 'filter');
  const descending = q.sort.startsWith('-');
  const field = (descending ? q.sort.slice(1) : q.sort) as 'lastFailedAt' | 'firstFailedAt';
  const [page, total, groups] = await Promise.all([
    deps.failedMessages.list(listFilterOf(q), { field, descending }, PAGE_SIZE, cursor.after),
    deps.readModel.countMatching(filterOf(q)),
    q.groupId ? deps.failedMessages.groups() : Promise.resolve([]),
  ]);
  const labels = await deps.readModel.messageLabels(page.items.map((m) => m.id));
  return render(
    c,
    'Failed messages',
    <MessagesPage
      ctx={c.get('page')}
      q={q}
      items={page.items}
      labels={new Map(labels.map((l) => [l.id, l]))}
      total={total}
      next={nextPageCursor(deps.cursors, f, page.next)}
      groupTitle={groups.find((g) => g.id === q.groupId)?.title}
      selected={c.req.queries('sel') ?? []}
      here={hereOf(c)}
      {...(cursor.error ? { error: cursor.error } : {})}
    />,
    { section: SECTION },
  );
}
