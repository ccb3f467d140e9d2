// Numbers the infrastructure is built from, in one place (read by sst.config.ts's modules and by
// `npm run sim`, which evaluates the same config).

/** Seconds a worker may run; the queue's visibility timeout is six times this (AWS's advice). */
export const WORKER_TIMEOUT_S = 120;
/** Seconds the dead-letter handler may run. */
export const DEAD_LETTER_TIMEOUT_S = 60;
/** Receives before a message moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 3;
export const PRODUCTION = 'production';

/**
 * Worker instances SQS may run at once (WORKER_MAX_CONCURRENCY, default 10, SQS allows 2–1000).
 * Each instance holds up to DB_POOL_MAX (2) connections: 10 × 2 = 20 of the pooler's slots, far
 * below Neon's pooler limit; README "Deploy" has the arithmetic.
 */
export function workerMaxConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WORKER_MAX_CONCURRENCY;
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 2 || n > 1000)
    throw new Error(`WORKER_MAX_CONCURRENCY: must be an integer from 2 to 1000, got ${JSON.stringify(raw)}`);
  return n;
}

/** Where alarms are e-mailed (ALARM_EMAIL); unset: the alarms exist, nobody is subscribed. */
export const alarmEmail = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
  env.ALARM_EMAIL?.trim() || undefined;

/** What every function shares. */
export const functionDefaults = (schema: string) => ({
  runtime: 'nodejs22.x' as const,
  architecture: 'arm64' as const,
  logging: { retention: '1 month' as const, format: 'json' as const },
  environment: {
    DB_SCHEMA: schema,
    // One or two connections per instance, as Neon advises for Lambda.
    DB_POOL_MAX: '2',
    DB_STATEMENT_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'info',
    NODE_OPTIONS: '--enable-source-maps',
  },
  nodejs: {
    // Functions never load the embedded database; keep it out of every bundle.
    esbuild: { external: ['@electric-sql/pglite'] },
    minify: true,
    // Database drivers load by dynamic import: split, each function loads only the one it uses
    // (and esbuild keeps module initialisation order right, which one file cannot across them).
    splitting: true,
  },
});
