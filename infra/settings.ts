// Numbers the infrastructure is built from, in one place (read by sst.config.ts's modules and by
// `npm run sim`, which evaluates the same config).

/** Seconds a worker may run; the queue's visibility timeout is six times this (AWS's advice). */
export const WORKER_TIMEOUT_S = 120;
/** Seconds the dead-letter handler may run. */
export const DEAD_LETTER_TIMEOUT_S = 60;
/** Receives before a message moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 3;
export const PRODUCTION = 'production';
/** Seconds the webhook delivery function may run: a batch of 10 sent at once, each within 10 s. */
export const WEBHOOK_TIMEOUT_S = 60;
/**
 * Receives of a webhook delivery before its DLQ: with the backoff doubling from 30 s (capped at
 * 12 h) the last one comes about 29 h after the first. The same number as core's
 * WEBHOOK_MAX_ATTEMPTS (test/sim/infra.test.ts checks they agree).
 */
export const WEBHOOK_MAX_RECEIVE_COUNT = 13;

/**
 * Worker instances SQS may run at once (WORKER_MAX_CONCURRENCY, default 10, SQS allows 2–1000).
 * Each instance holds up to DB_POOL_MAX (2) connections: 10 × 2 = 20 of the pooler's slots, far
 * below Neon's pooler limit; docs/deploy.md has the arithmetic.
 */
export function workerMaxConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WORKER_MAX_CONCURRENCY;
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 2 || n > 1000)
    throw new Error(`WORKER_MAX_CONCURRENCY: must be an integer from 2 to 1000, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Days after which S3 expires an output (OUTPUT_RETENTION_DAYS; default 0: never). Keep it at or
 * above the `retention.generationDays` setting, or links of kept generations start answering 404.
 */
export function outputRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.OUTPUT_RETENTION_DAYS?.trim();
  if (!raw) return 0;
  if (!/^\d{1,5}$/.test(raw))
    throw new Error(`OUTPUT_RETENTION_DAYS: must be a whole number of days, got ${JSON.stringify(raw)}`);
  return Number(raw);
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
    // No NODE_OPTIONS=--enable-source-maps: the bundles ship without their maps (SST uploads them
    // for its console), so it maps nothing, and it cost a cold start's import 8 % more instructions
    // (each chunk's missing map looked up; docs/cold-start.md).
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

/**
 * Runtime settings an operator gives at deploy time, from the shell that runs `sst deploy`, and the
 * functions that read them; unset, each function's own default applies. Their form is checked
 * here, so a mistyped value fails the deploy with one line rather than every invocation; their
 * ranges are the functions' own (docs/configuration.md).
 */
const DEPLOY_SETTINGS: Record<
  string,
  { functions: readonly DeployedFunction[]; form: 'url' | 'backend-url' | 'count' }
> = {
  // The API reads it too: it settles asynchronous backends' callbacks and forwards cancels.
  GENERATOR_URL: { functions: ['worker', 'api'], form: 'backend-url' },
  GENERATOR_DEADLINE_S: { functions: ['worker', 'api'], form: 'count' },
  GENERATOR_POLL_AFTER_S: { functions: ['worker', 'api'], form: 'count' },
  // Overrides the linked API URL that backends call back on (a custom domain, a proxy).
  PUBLIC_URL: { functions: ['worker'], form: 'url' },
  GENERATOR_TIMEOUT_MS: { functions: ['worker'], form: 'count' },
  WORKER_STALE_AFTER_S: { functions: ['worker', 'maintenance'], form: 'count' },
  MAINTENANCE_STALE_AFTER_S: { functions: ['maintenance'], form: 'count' },
  MAINTENANCE_RESEND_AFTER_S: { functions: ['maintenance'], form: 'count' },
  EVENT_ARCHIVE_AFTER_DAYS: { functions: ['maintenance'], form: 'count' },
  EVENT_ARCHIVE_RUN_CHUNKS: { functions: ['maintenance'], form: 'count' },
  OUTPUT_MAX_BYTES: { functions: ['worker'], form: 'count' },
  OUTPUT_FETCH_TIMEOUT_MS: { functions: ['worker'], form: 'count' },
  OUTPUT_URL_TTL_S: { functions: ['api'], form: 'count' },
  EVENT_ARCHIVE_BATCH: { functions: ['maintenance'], form: 'count' },
};
export type DeployedFunction = 'api' | 'worker' | 'maintenance';

/** The deploy-time settings `fn` reads, as environment variables for it. */
export function deploySettings(
  fn: DeployedFunction,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, { functions, form }] of Object.entries(DEPLOY_SETTINGS)) {
    const raw = env[name]?.trim();
    if (!raw || !functions.includes(fn)) continue;
    if (form === 'count' && !/^\d{1,9}$/.test(raw))
      throw new Error(`${name}: must be a whole number, got ${JSON.stringify(raw)}`);
    if (form === 'url' && !/^https?:\/\/[^\s/]+/.test(raw))
      throw new Error(`${name}: must be an http(s) URL, got ${JSON.stringify(raw)}`);
    if (form === 'backend-url' && !/^(https?|cog\+https?|comfyui\+https?|replicate):\/\/[^\s/]+/.test(raw))
      throw new Error(
        `${name}: must be an http(s), cog+http(s), comfyui+http(s) or replicate:// URL, got ${JSON.stringify(raw)}`,
      );
    out[name] = raw;
  }
  return out;
}
