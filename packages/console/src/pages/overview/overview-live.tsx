/** @jsxImportSource hono/jsx */
import type { FailedMessageSummary, RetryBatch } from '@genledger/core/contracts/failed-messages';
import type { CappedCount, DailyGenerationStat } from '@genledger/core/ports/console-read-model';
import type { HealthCheck, HealthReport } from '@genledger/core/ports/health';
import type { ConsoleServices } from '../../env.ts';
import { type DayBar, lastDays, ThroughputChart } from '../../ui/charts.tsx';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';
import { Count } from './count.tsx';

const CHART_DAYS = 14;

/** Completed and failed generations per model and day, from the daily stats projection. */
function seriesOf(stats: DailyGenerationStat[], days: string[]): { model: string; days: DayBar[] }[] {
  const models = [...new Set(stats.map((r) => r.model))].sort();
  return models.map((model) => ({
    model,
    days: days.map((day) => {
      const of = (status: string) =>
        stats.find((r) => r.day === day && r.model === model && r.status === status)?.count ?? 0;
      return { day, completed: of('completed'), failed: of('failed') };
    }),
  }));
}

function HealthCards(props: { health: HealthReport; extra: Record<string, HealthCheck> }) {
  return (
    <div class="cards">
      <div class="card">
        <div class="l">overall</div>
        <div class="n">
          <Status s={props.health.status} />
        </div>
      </div>
      {Object.entries({ ...props.health.checks, ...props.extra }).map(([name, check]) => (
        <div class="card">
          <div class="l">{name}</div>
          <Status s={check.status} />
          <div class="small muted">{check.detail}</div>
        </div>
      ))}
    </div>
  );
}

function GenerationCounts(props: { counts: Record<string, CappedCount> }) {
  return (
    <div class="cards">
      {['pending', 'running', 'completed', 'failed', 'cancelled'].map((s) => (
        <a class="card" href={`/console/generations?status=${s}`}>
          <div class="n">
            <Count c={props.counts[s]} />
          </div>
          <div class="l">{s}</div>
        </a>
      ))}
    </div>
  );
}

function Throughput(props: { series: { model: string; days: DayBar[] }[] }) {
  if (props.series.length === 0)
    return (
      <p class="muted">
        No finished generations in the stats projection yet (it is updated by the maintenance job).
      </p>
    );
  return (
    <div class="grid2">
      {props.series.map((s) => (
        <ThroughputChart model={s.model} days={s.days} />
      ))}
    </div>
  );
}

function UnresolvedMessages(props: { count: CappedCount | undefined; recent: FailedMessageSummary[] }) {
  return (
    <section>
      <h2>
        Unresolved failed messages:{' '}
        <a href="/console/failed/messages?status=unresolved">
          <Count c={props.count} />
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
            {props.recent.map((m) => (
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
            {props.recent.length === 0 && <EmptyRow cols={3}>None.</EmptyRow>}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function RunningRetries(props: { running: RetryBatch[] }) {
  return (
    <section>
      <h2>Running retry batches: {props.running.length}</h2>
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
            {props.running.map((b) => (
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
            {props.running.length === 0 && (
              <EmptyRow cols={3}>
                None running. <a href="/console/retries">History</a>
              </EmptyRow>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The overview below its heading, refreshed every 5 s while the tab is visible. */
export async function OverviewLive(props: { s: ConsoleServices }) {
  const { deps, now } = props.s;
  const days = lastDays(CHART_DAYS, now());
  const [health, extra, counts, failed, stats, batches, recent] = await Promise.all([
    deps.health(),
    deps.checks?.().catch(
      (e: unknown): Record<string, HealthCheck> => ({
        runtime: { status: 'Unhealthy', detail: e instanceof Error ? e.message : String(e) },
      }),
    ) ?? {},
    deps.readModel.generationCounts({ admin: true }),
    deps.readModel.failedCounts(),
    deps.readModel.dailyStats(days[0]!),
    deps.retryBatches.list(20),
    deps.failedMessages.list({ statuses: ['unresolved'] }, { field: 'lastFailedAt', descending: true }, 5),
  ]);
  return (
    <div
      id="overview-live"
      hx-get="/console/overview/live"
      hx-trigger="every 5s, console:visible"
      hx-swap="outerHTML"
      data-poll
    >
      <h2>Health</h2>
      <HealthCards health={health} extra={extra} />
      <h2>Generations by status</h2>
      <GenerationCounts counts={counts} />
      <h2>Throughput and failures per model, last {CHART_DAYS} days (UTC)</h2>
      <Throughput series={seriesOf(stats, days)} />
      <div class="grid2">
        <UnresolvedMessages count={failed.unresolved} recent={recent.items} />
        <RunningRetries
          running={batches.filter((b) => b.status === 'pending' || b.status === 'in_progress')}
        />
      </div>
    </div>
  );
}
