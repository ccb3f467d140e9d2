import type { HealthCheck, HealthReport, HealthStatus } from '@genledger/core/ports/health';
import type { Database } from './connect.ts';
import { LATEST_MIGRATION } from './migrations.ts';
import { appliedMigrationState } from './migrator.ts';
import { describeConnectionError } from './pg-errors.ts';

/** How long the probe may take before the database counts as unreachable. */
export const HEALTH_TIMEOUT_MS = 3_000;

const worst = (a: HealthStatus, b: HealthStatus): HealthStatus =>
  a === 'Unhealthy' || b === 'Unhealthy'
    ? 'Unhealthy'
    : a === 'Degraded' || b === 'Degraded'
      ? 'Degraded'
      : 'Healthy';

/**
 * Healthy: reachable and the schema is at least as new as the code. Degraded: the embedded
 * fallback is in use (fine for a laptop, not for production). Unhealthy: unreachable, or the
 * schema is behind the code (a deploy whose migration has not run yet).
 */
export async function checkHealth(
  database: Database,
  expected = LATEST_MIGRATION,
  timeoutMs = HEALTH_TIMEOUT_MS,
): Promise<HealthReport> {
  const started = Date.now();
  let state: Awaited<ReturnType<typeof appliedMigrationState>>;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A server that hangs (or a pool whose connections are all stuck) is unhealthy within the
    // bound, not after the driver's own connect timeout. The embedded database is in-process: a
    // slow answer there means a busy queue, not an unreachable server.
    const probe = appliedMigrationState(database);
    state = database.embedded
      ? await probe
      : await Promise.race([
          probe,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
  } catch (e) {
    const detail = describeConnectionError(e, database.target);
    return {
      status: 'Unhealthy',
      checks: {
        database: { status: 'Unhealthy', detail, durationMs: Date.now() - started },
        schema: { status: 'Unhealthy', detail: 'unknown: the database is unreachable' },
      },
    };
  } finally {
    clearTimeout(timer);
  }
  const durationMs = Date.now() - started;
  const database_: HealthCheck = database.embedded
    ? {
        status: 'Degraded',
        detail: `${database.target}: embedded fallback, set DATABASE_URL for production`,
        durationMs,
      }
    : { status: 'Healthy', detail: `${database.target} reachable`, durationMs };
  let schema: HealthCheck;
  if (!state) schema = { status: 'Unhealthy', detail: `schema "${database.schema}" has never been migrated` };
  else if (state.latestCreatedAt < expected.createdAt)
    schema = {
      status: 'Unhealthy',
      detail: `schema "${database.schema}" is behind the code: ${state.count} of ${expected.count} migrations applied (expects ${expected.tag})`,
    };
  else schema = { status: 'Healthy', detail: `schema "${database.schema}" is current (${expected.tag})` };
  return { status: worst(database_.status, schema.status), checks: { database: database_, schema } };
}
