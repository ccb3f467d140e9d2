import { sqsAttemptQueue } from '@genledger/adapters/sqs-attempt-queue';
import { resolveBackendConfig } from '@genledger/core/config/backend-config';
import type { KeptOutput, OutputSource } from '@genledger/core/contracts/outputs';
import { AppError } from '@genledger/core/errors';
import type { AttemptQueue } from '@genledger/core/ports/attempt-queue';
import { systemClock } from '@genledger/core/ports/clock';
import type { Logger } from '@genledger/core/ports/logger';
import type { BackendAttemptDeps } from '@genledger/core/use-cases/backend/settle-outcome';
import type { SubmitDeps } from '@genledger/core/use-cases/backend/submit-attempt';
import type { Database } from '@genledger/db/connect';
import { asyncBackendOf } from './backends.ts';
import { storesOf } from './stores.ts';

export interface BackendWiring {
  /** The queue operations of asynchronous attempts: the local queue's under `npm start`; SQS otherwise. */
  attemptQueue?: AttemptQueue;
  /** Where backends call back when PUBLIC_URL is unset (the local server under `npm start`). */
  publicUrl?: string;
  /** MERGE(outputs): keepOutputs over the configured output store. */
  keepOutputs?: (generationId: string, sources: readonly OutputSource[]) => Promise<KeptOutput[]>;
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
): BackendAttemptDeps | undefined {
  const config = resolveBackendConfig(env);
  const backend = asyncBackendOf(config);
  if (!backend) return undefined;
  const queue = wiring.attemptQueue ?? (env.QUEUE_URL ? sqsAttemptQueue(env.QUEUE_URL) : undefined);
  if (!queue) throw new AppError('configuration', `QUEUE_URL: required for the ${backend.name} backend`);
  const keep = wiring.keepOutputs;
  if (!keep) throw new AppError('configuration', 'no output store to keep the backend outputs in');
  return {
    backend,
    lifecycle: storesOf(database).lifecycle,
    queue,
    keepOutputs: keep,
    clock: systemClock,
    logger,
  };
}

/** The worker's: the same, with the public URL callbacks are posted under (required). */
export function submitDeps(
  database: Database,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  wiring: BackendWiring = {},
): SubmitDeps | undefined {
  const deps = backendAttemptDeps(database, env, logger, wiring);
  if (!deps) return undefined;
  const config = resolveBackendConfig(env);
  const publicUrl = ('publicUrl' in config ? config.publicUrl : undefined) ?? wiring.publicUrl;
  if (!publicUrl)
    throw new AppError(
      'configuration',
      `PUBLIC_URL: required for the ${deps.backend.name} backend's callbacks`,
    );
  return { ...deps, publicUrl };
}
