import type { HealthReport } from '@genledger/core/ports/health';

export interface CachedHealth {
  (): Promise<HealthReport>;
  /** Forgets the cached result: a request just saw the database fail, so probe again now. */
  invalidate(): void;
}

/**
 * Caches the health probe so gating costs no round trip per request: a healthy answer is reused
 * for a few seconds, an unhealthy one for one second (so a finished migration opens the gate
 * quickly). Concurrent callers share one probe in flight.
 */
export function cachedHealth(
  probe: () => Promise<HealthReport>,
  ttl: { healthy: number; unhealthy: number } = { healthy: 5_000, unhealthy: 1_000 },
  now: () => number = Date.now,
): CachedHealth {
  let cached: { report: HealthReport; until: number } | undefined;
  let inFlight: Promise<HealthReport> | undefined;
  // Bumped by invalidate(): a probe that started before a failure was seen must not be cached.
  let epoch = 0;
  const read = () => {
    if (cached && cached.until > now()) return Promise.resolve(cached.report);
    if (inFlight) return inFlight;
    const started = epoch;
    const p = probe()
      .then((report) => {
        if (started === epoch)
          cached = { report, until: now() + (report.status === 'Unhealthy' ? ttl.unhealthy : ttl.healthy) };
        return report;
      })
      .finally(() => {
        if (inFlight === p) inFlight = undefined;
      });
    inFlight = p;
    return p;
  };
  return Object.assign(read, {
    invalidate() {
      epoch++;
      cached = undefined;
      inFlight = undefined;
    },
  });
}

/** Why requests are refused right now, or undefined when the database and its schema are usable. */
export function gateReason(report: HealthReport): string | undefined {
  if (report.checks.schema.status === 'Unhealthy' && report.checks.database.status !== 'Unhealthy') {
    return `the database schema is being upgraded (${report.checks.schema.detail}); retry shortly`;
  }
  if (report.status === 'Unhealthy') return 'the database is unreachable; retry shortly';
  return undefined;
}
