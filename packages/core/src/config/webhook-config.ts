import { createHash } from 'node:crypto';
import * as z from 'zod';
import { parseEnv } from './parse-env.ts';

const WebhookEnv = z.object({
  WEBHOOK_RETRY_BASE_S: z.coerce.number().min(0).max(3600).default(30),
  // Five days; at least a minute, at most a year.
  WEBHOOK_DISABLE_AFTER_FAILING_S: z.coerce.number().int().min(60).max(31_536_000).default(432_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(10_000),
  WEBHOOK_CONCURRENCY_PER_TARGET: z.coerce.number().int().min(1).max(10).default(5),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false']).optional(),
  WEBHOOK_SECRETS_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  CURSOR_SECRET: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  DB_SCHEMA: z.string().optional(),
});

export interface WebhookConfig {
  retryBaseS: number;
  timeoutMs: number;
  /** Requests in flight to one target from one process (a delivery function instance). */
  concurrencyPerTarget: number;
  /** An endpoint whose attempts have all failed for this long is disabled (reason `failing`). */
  disableAfterFailingS: number;
  allowPrivateNetworks: boolean;
  /** What signing secrets are encrypted under (secret-box.ts); never logged. */
  secretsKeyMaterial: string;
}

/**
 * Webhook settings. Private networks are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS says
 * otherwise; `npm start` and the sim pass `allowPrivateByDefault` (and say so at start-up).
 */
export function resolveWebhookConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { allowPrivateByDefault?: boolean } = {},
): WebhookConfig {
  const e = parseEnv(WebhookEnv, env);
  const derived = e.DATABASE_URL
    ? createHash('sha256')
        .update(`genledger-webhooks\0${e.DATABASE_URL}\0${e.DB_SCHEMA ?? ''}`)
        .digest('hex')
    : // The embedded database is a directory on this machine: its secrets are as safe as the directory.
      'genledger-embedded-database';
  return {
    retryBaseS: e.WEBHOOK_RETRY_BASE_S,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    concurrencyPerTarget: e.WEBHOOK_CONCURRENCY_PER_TARGET,
    disableAfterFailingS: e.WEBHOOK_DISABLE_AFTER_FAILING_S,
    allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS
      ? e.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'true'
      : (options.allowPrivateByDefault ?? false),
    secretsKeyMaterial: e.WEBHOOK_SECRETS_KEY ?? e.CURSOR_SECRET ?? derived,
  };
}
