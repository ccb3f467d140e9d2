import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { parseEnv } from './parse-env.ts';

const WorkerEnv = z.object({
  GENERATOR_URL: z.url().optional(),
  GENERATOR_TIMEOUT_MS: z.coerce.number().int().min(100).max(900_000).default(60_000),
  WORKER_STALE_AFTER_S: z.coerce.number().int().min(0).max(43_200).default(300),
  DATA_DIR: z.string().min(1).optional(),
});

export interface WorkerConfig {
  generatorUrl: string | undefined;
  generatorTimeoutMs: number;
  staleAfterMs: number;
  dataDir: string;
}

/** Worker settings from the environment; a bad value stops with one line naming the variable. */
export function resolveWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = parseEnv(WorkerEnv, env);

  return {
    generatorUrl: e.GENERATOR_URL,
    generatorTimeoutMs: e.GENERATOR_TIMEOUT_MS,
    staleAfterMs: e.WORKER_STALE_AFTER_S * 1000,
    dataDir: e.DATA_DIR ?? defaultDataDir(env),
  };
}

/**
 * Where files go when DATA_DIR is unset: `.data` locally; on Lambda (AWS_LAMBDA_FUNCTION_NAME is
 * set) the code directory is read-only and only the temporary directory is writable.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return env.AWS_LAMBDA_FUNCTION_NAME ? join(tmpdir(), 'genledger') : '.data';
}
