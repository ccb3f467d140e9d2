import type { AttemptOutcomes, BackendHealthReport } from '../ports/generator-health.ts';
import type { HealthCheck, HealthStatus } from '../ports/health.ts';

/** The window the backend is judged over. */
export const HEALTH_WINDOW_MINUTES = 5;

/** Below this many failures in the window, a failing half is a fluke, not an outage. */
const OUTAGE_MIN_FAILURES = 3;

const RANK: Record<HealthStatus, number> = { Healthy: 0, Degraded: 1, Unhealthy: 2 };
const worst = (a: HealthStatus, b: HealthStatus) => (RANK[a] >= RANK[b] ? a : b);

function fromOutcomes(
  o: AttemptOutcomes,
  failuresPerMinute: number,
): { status: HealthStatus; detail: string } {
  const attempts = o.completed + o.failed;
  if (attempts === 0)
    return { status: 'Healthy', detail: `no attempts finished in the last ${o.windowMinutes} min` };
  const rate = o.failed / o.windowMinutes;
  const share = o.failed / attempts;
  const detail = `${o.failed} of ${attempts} attempts failed in the last ${o.windowMinutes} min (${rate.toFixed(1)}/min)${
    o.lastErrorType ? `, last: ${o.lastErrorType}` : ''
  }`;
  if (o.failed >= OUTAGE_MIN_FAILURES && share >= 0.5) return { status: 'Unhealthy', detail };
  if (o.failed > 0 && (rate >= failuresPerMinute || share >= 0.5)) return { status: 'Degraded', detail };
  return { status: 'Healthy', detail };
}

const BACKEND_STATUS: Record<BackendHealthReport['state'], HealthStatus> = {
  ready: 'Healthy',
  busy: 'Healthy',
  starting: 'Degraded',
  unknown: 'Degraded',
  setup_failed: 'Unhealthy',
  unreachable: 'Unhealthy',
};

/**
 * The generator backend's health: red when at least half of the last minutes' attempts failed (and
 * at least three did), amber when failures pass `failuresPerMinute` (the setting
 * `alerts.failuresPerMinute`) or half of fewer attempts failed; and never better than what the
 * backend itself reports, when it has a health endpoint. A backend that answers every request with
 * a 503 is therefore red however it answers a probe.
 */
export function judgeGeneratorHealth(
  outcomes: AttemptOutcomes,
  failuresPerMinute: number,
  backend?: BackendHealthReport,
): HealthCheck {
  const judged = fromOutcomes(outcomes, failuresPerMinute);
  if (!backend) return judged;
  return {
    status: worst(judged.status, BACKEND_STATUS[backend.state]),
    detail: `${judged.detail}; backend reports ${backend.state.replace('_', ' ')}: ${backend.detail}`,
  };
}
