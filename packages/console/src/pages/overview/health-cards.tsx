/** @jsxImportSource hono/jsx */
import type { CappedCount } from '@genledger/core/ports/console-read-model';
import type { HealthCheck, HealthStatus } from '@genledger/core/ports/health';
import { Status } from '../../ui/status.tsx';
import { Count } from './count.tsx';

const RANK: Record<HealthStatus, number> = { Healthy: 0, Degraded: 1, Unhealthy: 2 };

/** The worst of the checks: the overview is as red as its reddest part. */
const worstOf = (checks: HealthCheck[]): HealthStatus =>
  checks.reduce<HealthStatus>((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), 'Healthy');

/**
 * Above the fold: the overall state, each check (the generator judged by its recent attempts),
 * unresolved failed messages and groups new since the operator last looked at them.
 */
export function NowCards(props: {
  checks: Record<string, HealthCheck>;
  unresolved: CappedCount | undefined;
  newGroups: number;
}) {
  const overall = worstOf(Object.values(props.checks));
  const unresolved = props.unresolved?.n ?? 0;
  return (
    <div class="cards" data-testid="now">
      <div class={`card state-${overall}`} data-check="overall">
        <div class="l">overall</div>
        <div class="n">
          <Status s={overall} />
        </div>
      </div>
      {Object.entries(props.checks).map(([name, check]) => (
        <div class={`card state-${check.status}`} data-check={name}>
          <div class="l">{name}</div>
          <Status s={check.status} />
          <div class="small muted">{check.detail}</div>
        </div>
      ))}
      <a
        class={`card ${unresolved > 0 ? 'state-Degraded' : ''}`}
        href="/console/failed/messages?status=unresolved"
        data-check="unresolved"
      >
        <div class="n">
          <Count c={props.unresolved} />
        </div>
        <div class="l">unresolved failed messages</div>
      </a>
      <a
        class={`card ${props.newGroups > 0 ? 'state-Degraded' : ''}`}
        href="/console/failed"
        data-check="new-groups"
      >
        <div class="n">{props.newGroups}</div>
        <div class="l">new failure groups since you last looked</div>
      </a>
    </div>
  );
}
