export type HealthStatus = 'Healthy' | 'Degraded' | 'Unhealthy';

export interface HealthCheck {
  status: HealthStatus;
  detail: string;
  durationMs?: number;
}

/** The database's health and whether its schema is as new as the code (implemented in @genledger/db). */
export interface HealthReport {
  status: HealthStatus;
  checks: { database: HealthCheck; schema: HealthCheck };
}

export type HealthProbe = () => Promise<HealthReport>;

/** Checks a runtime adds beside the database's (queue, generator backend), by name. */
export type RuntimeChecks = () => Promise<Record<string, HealthCheck>>;
