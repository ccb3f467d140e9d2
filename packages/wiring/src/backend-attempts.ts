import { sqsAttemptQueue } from '@genledger/adapters/sqs-attempt-queue';
import { resolveApiConfig } from '@genledger/api/config';
import { type BackendConfig, resolveBackendConfig } from '@genledger/core/config/backend-config';
import { AppError } from '@genledger/core/errors';
import type { AttemptQueue } from '@genledger/core/ports/attempt-queue';
import type { CallbackTokens } from '@genledger/core/ports/callback-tokens';
import { systemClock } from '@genledger/core/ports/clock';
import type { Logger } from '@genledger/core/ports/logger';
import type { BackendAttemptDeps } from '@genledger/core/use-cases/backend/settle-outcome';
import type { SubmitDeps } from '@genledger/core/use-cases/backend/submit-attempt';
import { type KeepOutputsDeps, keepOutputs } from '@genledger/core/use-cases/keep-outputs';
import type { Database } from '@genledger/db/connect';
import { asyncBackendOf } from './backends.ts';
import { callbackTokensOf } from './callback-tokens.ts';
import { keepOutputsDeps } from './outputs.ts';
import { storesOf } from './stores.ts';

export interface BackendWiring {
  /** The queue operations of asynchronous attempts: the local queue's under `npm start`; SQS otherwise. */
  attemptQueue?: AttemptQueue;
  /** Where outputs are kept; default: keepOutputs over the output store the environment configures. */
  keepOutputs?: KeepOutputsDeps;
  /**
   * Callback tokens; default: signed with the cursor secret the environment configures. `npm start`
   * hands the server's to its worker: without CURSOR_SECRET or DATABASE_URL that secret is random.
   */
  callbackTokens?: CallbackTokens;
  /** Where backends call back when PUBLIC_URL is unset (the local server under `npm start`). */
  publicUrl?: () => string;
}

/**
 * What the callback route needs for an asynchronous backend, or undefined when GENERATOR_URL names a
 * synchronous one. A missing queue stops with one line.
 */
export function backendAttemptDeps(
  database: Database,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  wiring: BackendWiring = {},
): Promise<BackendAttemptDeps | undefined> {
  return attemptDepsOf(database, env, resolveBackendConfig(env), logger, wiring);
}

/** The worker's: the same, with the public URL callbacks are posted under (required). */
export async function submitDeps(
  database: Database,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  wiring: BackendWiring = {},
): Promise<SubmitDeps | undefined> {
  const config = resolveBackendConfig(env);
  const deps = await attemptDepsOf(database, env, config, logger, wiring);
  if (!deps) return undefined;
  const configured = 'publicUrl' in config ? config.publicUrl : undefined;
  const fallback = wiring.publicUrl;
  if (!configured && !fallback)
    throw new AppError(
      'configuration',
      `PUBLIC_URL: required for the ${deps.backend.name} backend's callbacks`,
    );
  return { ...deps, publicUrl: () => configured ?? fallback?.() ?? '' };
}

async function attemptDepsOf(
  database: Database,
  env: NodeJS.ProcessEnv,
  config: BackendConfig,
  logger: Logger,
  wiring: BackendWiring,
): Promise<BackendAttemptDeps | undefined> {
  const backend = await asyncBackendOf(config);
  if (!backend) return undefined;
  const queue = wiring.attemptQueue ?? (env.QUEUE_URL ? sqsAttemptQueue(env.QUEUE_URL) : undefined);
  if (!queue) throw new AppError('configuration', `QUEUE_URL: required for the ${backend.name} backend`);
  const keep = wiring.keepOutputs ?? keepOutputsDeps(env);
  return {
    backend,
    lifecycle: storesOf(database).lifecycle,
    queue,
    keepOutputs: (generationId, attempt, sources, written) =>
      keepOutputs(keep, generationId, attempt, sources, written),
    deleteOutputs: (keys) => keep.store.delete(keys),
    callbackTokens: wiring.callbackTokens ?? callbackTokensOf(resolveApiConfig(env).cursorSecret),
    clock: systemClock,
    logger,
  };
}
