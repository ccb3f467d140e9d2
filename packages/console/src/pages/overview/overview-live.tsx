/** @jsxImportSource hono/jsx */
import type { FailedMessageSummary, RetryBatch } from '@genledger/core/contracts/failed-messages';
import type { CappedCount } from '@genledger/core/ports/console-read-model';
import type { HealthCheck } from '@genledger/core/ports/health';
import {
  HEALTH_WINDOW_MINUTES,
  judgeGeneratorHealth,
} from '@genledger/core/use-cases/judge-generator-health';
import type { ConsoleServices } from '../../env.ts';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';
import { Count } from './count.tsx';
import { NowCards } from './health-cards.tsx';
import { FailureTable, LatencyTable } from './incident-tables.tsx';

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

function UnresolvedMessages(props: { recent: FailedMessageSummary[] }) {
  return (
    <section>
      <h2>Newest unresolved failed messages</h2>
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

/** The database's checks, the runtime's, and the generator backend judged by its recent attempts. */
async function checksOf(s: ConsoleServices, perMinute: number): Promise<Record<string, HealthCheck>> {
  const { deps } = s;
  const failed = (e: unknown) => (e instanceof Error ? e.message : String(e));
  const [health, extra, outcomes, backend] = await Promise.all([
    deps.health(),
    deps
      .checks?.()
      .catch((e: unknown) => ({ runtime: { status: 'Unhealthy' as const, detail: failed(e) } })) ?? {},
    deps.readModel.attemptOutcomes(HEALTH_WINDOW_MINUTES),
    deps.backendHealth?.().catch((e: unknown) => ({ state: 'unreachable' as const, detail: failed(e) })),
  ]);
  return { ...health.checks, ...extra, generator: judgeGeneratorHealth(outcomes, perMinute, backend) };
}

/**
 * What is wrong now, refreshed every 5 s while the tab is visible: health, unresolved messages,
 * new groups, failures per model and group against the hour before, latency.
 */
export async function OverviewLive(props: { s: ConsoleServices; groupsSeenAt: number }) {
  const { deps } = props.s;
  const perMinute = await deps.settings.get('alerts.failuresPerMinute');
  const [checks, counts, failed, incident, latency, groups, batches, recent] = await Promise.all([
    checksOf(props.s, perMinute),
    deps.readModel.generationCounts({ admin: true }),
    deps.readModel.failedCounts(),
    deps.readModel.incidentWindow(),
    deps.readModel.latency(),
    deps.failedMessages.groups(),
    deps.retryBatches.list(20),
    deps.failedMessages.list({ statuses: ['unresolved'] }, { field: 'lastFailedAt', descending: true }, 5),
  ]);
  const newGroups = groups.filter(
    (g) => Date.parse(g.firstFailedAt) > props.groupsSeenAt && g.unresolved > 0,
  );
  return (
    <div
      id="overview-live"
      hx-get="/console/overview/live"
      hx-trigger="every 5s, console:visible"
      hx-swap="outerHTML"
      data-poll
    >
      <h2>Now</h2>
      <NowCards checks={checks} unresolved={failed.unresolved} newGroups={newGroups.length} />
      <h2>Failures in the last 15 minutes</h2>
      <div class="grid2">
        <FailureTable
          caption="Failed attempts per model"
          what="model"
          rows={incident.byModel}
          perMinute={perMinute}
        />
        <FailureTable
          caption="Dead-letterings per failure group (exception and frame; per model on the left)"
          what="group"
          rows={incident.byGroup}
          perMinute={perMinute}
          link={(w) => `/console/failed/messages?groupId=${w.key}&status=unresolved&status=retry_issued`}
        />
      </div>
      <h2>Latency per model</h2>
      <LatencyTable rows={latency} />
      <h2>Generations by status</h2>
      <GenerationCounts counts={counts} />
      <div class="grid2">
        <UnresolvedMessages recent={recent.items} />
        <RunningRetries
          running={batches.filter((b) => b.status === 'pending' || b.status === 'in_progress')}
        />
      </div>
    </div>
  );
}
