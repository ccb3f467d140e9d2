import { parseEnv } from '@genledger/core/config/parse-env';
import { resolveWebhookConfig } from '@genledger/core/config/webhook-config';
import * as z from 'zod';

const QueueEnv = z.object({
  QUEUE_VISIBILITY_TIMEOUT: z.coerce.number().int().min(0).max(43_200).optional(),
  QUEUE_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(3),
  MAINTENANCE_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
});

const MAIN_VISIBILITY_S = 30;
// Six times the webhook send's default 10 s timeout: a delivery in flight does not come back.
const WEBHOOK_VISIBILITY_S = 60;

/**
 * Local queue settings; a bad value stops start-up with one line naming the variable.
 * QUEUE_VISIBILITY_TIMEOUT, when set, is every local queue's (the webhook queue's too), as it is
 * every queue's under `npm run sim`.
 */
export function resolveLocalQueueConfig(env: NodeJS.ProcessEnv) {
  const data = parseEnv(QueueEnv, env);
  return {
    visibilityTimeoutMs: (data.QUEUE_VISIBILITY_TIMEOUT ?? MAIN_VISIBILITY_S) * 1000,
    webhookVisibilityTimeoutMs: (data.QUEUE_VISIBILITY_TIMEOUT ?? WEBHOOK_VISIBILITY_S) * 1000,
    maxReceiveCount: data.QUEUE_MAX_RECEIVE_COUNT,
    maintenanceIntervalMs: data.MAINTENANCE_INTERVAL_S * 1000,
  };
}

/** A start-up line when a delivery still being sent could come back and be sent a second time meanwhile. */
export function webhookVisibilityWarning(env: NodeJS.ProcessEnv): string | undefined {
  const visibilityMs = resolveLocalQueueConfig(env).webhookVisibilityTimeoutMs;
  const { timeoutMs } = resolveWebhookConfig(env, { allowPrivateByDefault: true });
  if (visibilityMs > timeoutMs) return undefined;
  return `warning: the webhook queue's visibility timeout (QUEUE_VISIBILITY_TIMEOUT, ${visibilityMs / 1000} s) is not above WEBHOOK_TIMEOUT_MS (${timeoutMs} ms): a slow delivery can be sent again while it is being sent (same webhook-id)`;
}
