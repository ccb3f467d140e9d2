import * as z from 'zod';
import { parseEnv } from './parse-env.ts';

const MaintenanceEnv = z.object({
  MAINTENANCE_STALE_AFTER_S: z.coerce.number().int().min(1).max(604_800).default(900),
  WORKER_STALE_AFTER_S: z.coerce.number().int().min(0).max(43_200).default(300),
});

/**
 * When maintenance re-sends unfinished work whose message may be lost; a bad value stops with one
 * line naming the variable.
 */
export function resolveMaintenanceConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parseEnv(MaintenanceEnv, env);
  return {
    stalePendingAfterMs: e.MAINTENANCE_STALE_AFTER_S * 1000,
    staleRunningAfterMs: e.WORKER_STALE_AFTER_S * 1000,
  };
}
