import { createHash, randomBytes } from 'node:crypto';
import { parseEnv } from '@genledger/core/config/parse-env';
import { LOG_LEVELS, type LogLevel } from '@genledger/core/ports/logger';
import * as z from 'zod';

/** Environment the HTTP API reads (the database layer reads its own: DATABASE_URL, DB_SCHEMA, …). */
export const ApiEnv = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  CURSOR_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_API_KEY: z
    .string()
    .min(32, 'must be at least 32 characters')
    .max(256, 'must be at most 256 characters')
    .regex(/^\S+$/, 'must not contain whitespace')
    .optional(),
});

export interface ApiConfig {
  logLevel: LogLevel;
  cursorSecret: string;
  /** Where the cursor secret came from, for the start-up line (never the secret itself). */
  cursorSecretSource: 'CURSOR_SECRET' | 'DATABASE_URL' | 'random';
  adminApiKey: string | undefined;
}

/**
 * Reads and checks the API's settings; a bad value stops start-up with one line naming the
 * variable. The cursor secret: CURSOR_SECRET when set (deployed: a linked secret); otherwise
 * derived from DATABASE_URL, which every instance of a deployment shares and which already holds
 * the database password — so cursors stay valid across Lambda instances with no extra secret;
 * with the embedded database, a random per-process secret (cursors then end with the process).
 */
export function resolveApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = parseEnv(ApiEnv, env);

  const url = env.DATABASE_URL || undefined;
  const [cursorSecret, cursorSecretSource] = e.CURSOR_SECRET
    ? [e.CURSOR_SECRET, 'CURSOR_SECRET' as const]
    : url
      ? [
          createHash('sha256')
            .update(`genledger-cursor\0${url}\0${env.DB_SCHEMA ?? ''}`)
            .digest('hex'),
          'DATABASE_URL' as const,
        ]
      : [randomBytes(32).toString('hex'), 'random' as const];
  return { logLevel: e.LOG_LEVEL, cursorSecret, cursorSecretSource, adminApiKey: e.ADMIN_API_KEY };
}
