/** @jsxImportSource hono/jsx */
import type { Hono } from 'hono';
import type { ConsoleContext, ConsoleEnv, ConsoleServices } from '../../env.ts';
import { fragment, render } from '../../ui/render.tsx';
import { groupsSeenAt } from '../failed/groups-seen.ts';
import { CHART_DAYS, OutcomeCharts } from './outcome-charts.tsx';
import { OverviewLive } from './overview-live.tsx';

/** The overview (admins; another key is sent to its generations) and its live part. */
export function registerOverview(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const overview = async (c: ConsoleContext) => {
    if (!c.get('who').isAdmin) return c.redirect('/console/generations', 303);
    return render(
      c,
      'Overview',
      <>
        <h1>Overview</h1>
        <OverviewLive s={s} groupsSeenAt={groupsSeenAt(c)} />
        <h2>Generations and attempts per model, last {CHART_DAYS} days (UTC)</h2>
        <OutcomeCharts s={s} />
      </>,
      { section: '/console/' },
    );
  };
  app.get('/', overview);
  app.get('', overview);
  app.get('/overview/live', async (c) => {
    if (!c.get('who').isAdmin) return c.text('admins only', 403);
    return fragment(c, <OverviewLive s={s} groupsSeenAt={groupsSeenAt(c)} />);
  });
}
