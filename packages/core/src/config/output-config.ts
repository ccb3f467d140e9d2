import * as z from 'zod';
import { parseEnv } from './parse-env.ts';
import { defaultDataDir } from './worker-config.ts';

const MIB = 1024 * 1024;

const OutputEnv = z.object({
  /** The S3 bucket outputs are kept in (deployed: the linked `Outputs` bucket); unset: files. */
  OUTPUT_BUCKET: z.string().min(3).max(63).optional(),
  /** Another S3 endpoint (fauxqs in the sim, MinIO); requests then use path-style URLs. */
  OUTPUT_S3_ENDPOINT: z.url().optional(),
  OUTPUT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(512 * MIB)
    .default(100 * MIB),
  OUTPUT_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(900_000).default(30_000),
  /** How long a signed output link works (S3's SigV4 allows 7 days at most). */
  OUTPUT_URL_TTL_S: z.coerce.number().int().min(1).max(604_800).default(3600),
  OUTPUT_URL_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  PUBLIC_URL: z.url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).optional(),
});

export interface OutputConfig {
  bucket: string | undefined;
  s3Endpoint: string | undefined;
  maxBytes: number;
  fetchTimeoutMs: number;
  urlTtlS: number;
  /** Signs local links when set; otherwise wiring derives a key from the cursor secret. */
  urlSecret: string | undefined;
  /** Where local links point: PUBLIC_URL, or the local server's own address. */
  publicUrl: string;
  /** Where the file store keeps outputs: `DATA_DIR/outputs`. */
  directory: string;
}

/** The output store's settings; a bad value stops start-up with one line naming the variable. */
export function resolveOutputConfig(env: NodeJS.ProcessEnv = process.env): OutputConfig {
  const e = parseEnv(OutputEnv, env);
  return {
    bucket: e.OUTPUT_BUCKET,
    s3Endpoint: e.OUTPUT_S3_ENDPOINT,
    maxBytes: e.OUTPUT_MAX_BYTES,
    fetchTimeoutMs: e.OUTPUT_FETCH_TIMEOUT_MS,
    urlTtlS: e.OUTPUT_URL_TTL_S,
    urlSecret: e.OUTPUT_URL_SECRET,
    publicUrl: e.PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`,
    directory: `${(e.DATA_DIR ?? defaultDataDir(env)).replace(/\/+$/, '')}/outputs`,
  };
}
