import { parseEnv } from '@genledger/core/config/parse-env';
import * as z from 'zod';

const QueueEnv = z.object({
  QUEUE_VISIBILITY_TIMEOUT: z.coerce.number().int().min(0).max(43_200).default(30),
  QUEUE_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(3),
  MAINTENANCE_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
});

/** Local queue settings; a bad value stops start-up with one line naming the variable. */
export function resolveLocalQueueConfig(env: NodeJS.ProcessEnv) {
  const data = parseEnv(QueueEnv, env);
  return {
    visibilityTimeoutMs: data.QUEUE_VISIBILITY_TIMEOUT * 1000,
    maxReceiveCount: data.QUEUE_MAX_RECEIVE_COUNT,
    maintenanceIntervalMs: data.MAINTENANCE_INTERVAL_S * 1000,
  };
}
