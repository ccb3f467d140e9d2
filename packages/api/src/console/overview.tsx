/** @jsxImportSource hono/jsx */
import type { HealthCheck } from '@genledger/core/ports/health';
import type { Hono } from 'hono';
import { lastDays, ThroughputChart } from './charts.tsx';
import { type ConsoleContext, type ConsoleEnv, type ConsoleServices, fragment, render } from './context.tsx';
import { EmptyRow, Status, Time } from './layout.tsx';
import type { CappedCount } from './queries.ts';

const CHART_DAYS = 14;

/**
 * A capped count: exact up to the cap; past it the planner's estimate ("≈ 1,234,000") when it has
 * one, otherwise "10,000+". Exact counts stop at the cap because counting walks every row.
 */
function Count(props: { c: CappedCount | undefined }) {
  const c = props.c ?? { n: 0, more: false };
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (!c.more) return <>{fmt(c.n)}</>;
  return c.estimate ? (
    <span title={`estimated from the database's statistics; exact counts stop at ${fmt(c.n)}`}>
      ≈ {fmt(c.estimate)}
    </span>
  ) : (
    <span title={`exact counts stop at ${fmt(c.n)}`}>{fmt(c.n)}+</span>
  );
}

async function OverviewLive(props: { s: ConsoleServices }) {
  const { deps, queries, now } = props.s;
  const days = lastDays(CHART_DAYS, now());
  const [health, extra, counts, failed, stats, batches, recent] = await Promise.all([
    deps.health(),
    deps.console?.checks?.().catch(
      (e: unknown): Record<string, HealthCheck> => ({
        runtime: { status: 'Unhealthy', detail: e instanceof Error ? e.message : String(e) },
      }),
    ) ?? {},
    queries.generationCounts({ admin: true }),
    queries.failedCounts(),
    queries.dailyStats(days[0]!),
    deps.retryBatches.list(20),
    deps.failedMessages.list({ statuses: ['unresolved'] }, { field: 'lastFailedAt', descending: true }, 5),
  ]);
  const running = batches.filter((b) => b.status === 'pending' || b.status === 'in_progress');
  const models = [...new Set(stats.map((r) => r.model))].sort();
  const series = models.map((model) => ({
    model,
    days: days.map((day) => {
      const of = (status: string) =>
        stats.find((r) => r.day === day && r.model === model && r.status === status)?.count ?? 0;
      return { day, completed: of('completed'), failed: of('failed') };
    }),
  }));
  return (
    <div
      id="overview-live"
      hx-get="/console/overview/live"
      hx-trigger="every 5s, console:visible"
      hx-swap="outerHTML"
      data-poll
    >
      <h2>Health</h2>
      <div class="cards">
        <div class="card">
          <div class="l">overall</div>
          <div class="n">
            <Status s={health.status} />
          </div>
        </div>
        {Object.entries({ ...health.checks, ...extra }).map(([name, check]) => (
          <div class="card">
            <div class="l">{name}</div>
            <Status s={check.status} />
            <div class="small muted">{check.detail}</div>
          </div>
        ))}
      </div>
      <h2>Generations by status</h2>
      <div class="cards">
        {['pending', 'running', 'completed', 'failed', 'cancelled'].map((s) => (
          <a class="card" href={`/console/generations?status=${s}`}>
            <div class="n">
              <Count c={counts[s]} />
            </div>
            <div class="l">{s}</div>
          </a>
        ))}
      </div>
      <h2>Throughput and failures per model, last {CHART_DAYS} days (UTC)</h2>
      {series.length === 0 ? (
        <p class="muted">
          No finished generations in the stats projection yet (it is updated by the maintenance job).
        </p>
      ) : (
        <div class="grid2">
          {series.map((s) => (
            <ThroughputChart model={s.model} days={s.days} />
          ))}
        </div>
      )}
      <div class="grid2">
        <section>
          <h2>
            Unresolved failed messages:{' '}
            <a href="/console/failed/messages?status=unresolved">
              <Count c={failed.unresolved} />
            </a>
          </h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>last failed</th>
                  <th>error</th>
                  <th class="hide-narrow">model</th>
                </tr>
              </thead>
              <tbody>
                {recent.items.map((m) => (
                  <tr>
                    <td>
                      <a href={`/console/failed/messages/${m.id}`}>
                        <Time at={m.lastFailedAt} />
                      </a>
                    </td>
                    <td>{m.lastError.type}</td>
                    <td class="hide-narrow">{m.model}</td>
                  </tr>
                ))}
                {recent.items.length === 0 && <EmptyRow cols={3}>None.</EmptyRow>}
              </tbody>
            </table>
          </div>
        </section>
        <section>
          <h2>Running retry batches: {running.length}</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>started</th>
                  <th>status</th>
                  <th class="num">sent / total</th>
                </tr>
              </thead>
              <tbody>
                {running.map((b) => (
                  <tr>
                    <td>
                      <a href={`/console/retries/${b.id}`}>
                        <Time at={b.createdAt} />
                      </a>
                    </td>
                    <td>
                      <Status s={b.status} />
                    </td>
                    <td class="num">
                      {b.sent} / {b.total}
                    </td>
                  </tr>
                ))}
                {running.length === 0 && (
                  <EmptyRow cols={3}>
                    None running. <a href="/console/retries">History</a>
                  </EmptyRow>
                )}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </div>
  );
}

export function registerOverview(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const overview = async (c: ConsoleContext) => {
    if (!c.get('who').isAdmin) return c.redirect('/console/generations', 303);
    return render(
      c,
      'Overview',
      <>
        <h1>Overview</h1>
        <OverviewLive s={s} />
      </>,
      { section: '/console/' },
    );
  };
  app.get('/', overview);
  app.get('', overview);
  app.get('/overview/live', async (c) => {
    if (!c.get('who').isAdmin) return c.text('admins only', 403);
    return fragment(c, <OverviewLive s={s} />);
  });
}
