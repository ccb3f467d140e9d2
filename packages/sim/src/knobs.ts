import { parseEnv } from '@genledger/core/config/parse-env';
import * as z from 'zod';

/** The same knobs as `npm start`; each one set overrides the config's value and is announced. */
const SimEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Where the API Gateway front listens; SQS, the relay and Postgres stay on loopback always. */
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('.data'),
  ADMIN_API_KEY: z
    .string()
    .min(32, 'must be at least 32 characters')
    .regex(/^\S+$/, 'must not contain whitespace')
    .optional(),
  GENERATOR_URL: z.url().optional(),
  QUEUE_VISIBILITY_TIMEOUT: z.coerce.number().int().min(0).max(43_200).optional(),
  QUEUE_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).optional(),
  MAINTENANCE_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).optional(),
  /**
   * Overrides every subscription's batching window (Lambda's MaximumBatchingWindowInSeconds, 0–300):
   * the worker's 5 s is a wait before each batch that is not full.
   */
  SIM_BATCH_WINDOW_S: z.coerce.number().int().min(0).max(300).optional(),
  /** Local development, as under `npm start`: webhooks may reach loopback and private targets. */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false']).default('true'),
  /** How long an idle function instance stays warm (Lambda: minutes, undocumented). */
  SIM_INSTANCE_IDLE_S: z.coerce.number().min(0.1).max(3600).default(300),
  /**
   * The Node binary the functions run on (default: this process's). Lambda runs the major version
   * the config's `runtime` names (nodejs22.x): pointing this at such a binary runs the functions
   * on it, undici's WebSocket under the Neon driver included.
   */
  SIM_NODE: z.string().min(1).optional(),
  /**
   * A directory where function bundles are kept by their inputs' content: a start whose sources
   * did not change copies them instead of building (unset: every start builds).
   */
  SIM_BUILD_CACHE: z.string().min(1).optional(),
});
export type SimKnobs = z.output<typeof SimEnv>;

export const simKnobs = (env: NodeJS.ProcessEnv): SimKnobs => parseEnv(SimEnv, env);
