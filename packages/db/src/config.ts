import type { PGlite } from '@electric-sql/pglite';
import { AppError } from '@genledger/core/errors';
import * as z from 'zod';

export type DriverName = 'pglite' | 'pg' | 'neon';

const identifier = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_]{0,62}$/,
    'must be a lower-case Postgres identifier (a-z, 0-9, _; at most 63 chars)',
  );
const postgresUrl = z
  .string()
  .refine(
    (v) => /^postgres(ql)?:\/\/.+/.test(v) && URL.canParse(v),
    'must be a postgres:// or postgresql:// URL',
  );
const positiveInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Environment variables the database layer reads; absent ones fall back to the defaults here. */
export const DbEnv = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DB_SCHEMA: identifier.default('genledger'),
  DATA_DIR: z.string().min(1).default('.data'),
  DB_DRIVER: z.enum(['pglite', 'pg', 'neon']).optional(),
  DB_POOL_MAX: positiveInt(1, 200).default(10),
  DB_POOL_IDLE_TIMEOUT_MS: positiveInt(0, 3_600_000).default(10_000),
  DB_POOL_MAX_LIFETIME_S: positiveInt(0, 86_400).default(300),
  DB_STATEMENT_TIMEOUT_MS: positiveInt(0, 3_600_000).default(30_000),
  DB_CONNECT_TIMEOUT_MS: positiveInt(100, 120_000).default(10_000),
  /**
   * A plain-WebSocket relay standing in for Neon's proxy (`npm run sim`, self-hosted relays):
   * `host:port/path?address={host}:{port}`, the placeholders filled with the database's address.
   */
  DB_NEON_WS_PROXY: z
    .string()
    .regex(/^[^\s/]+:\d+\/\S*$/, 'must look like 127.0.0.1:8080/v1?address={host}:{port}')
    .optional(),
  DB_LOCK_TIMEOUT_MS: positiveInt(0, 3_600_000).default(2_000),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: positiveInt(0, 3_600_000).default(15_000),
});

export interface PoolSettings {
  max: number;
  idleTimeoutMs: number;
  maxLifetimeSeconds: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /**
   * How long a statement waits for a row or table lock before failing with 55P03 (0: forever). A
   * row held by a stuck transaction then costs the requests that need it a quick 503, instead of
   * every pooled connection waiting on it while other keys starve.
   */
  lockTimeoutMs: number;
  /**
   * A session idle inside an open transaction longer than this is ended by the server (0: never).
   * An open transaction holds back the event feed's horizon and keeps its locks.
   */
  idleInTransactionTimeoutMs: number;
}

/** Only needed to reach a plain Postgres through a WebSocket relay (tests, self-hosted proxies). */
export interface NeonSocketOptions {
  wsProxy?: string | ((host: string, port: number | string) => string);
  useSecureWebSocket?: boolean;
  pipelineTLS?: boolean;
  pipelineConnect?: 'password' | false;
  forceDisablePgSSL?: boolean;
}

export interface DbConfig {
  driver: DriverName;
  /** Postgres URL; undefined for the embedded database. */
  url: string | undefined;
  /** Embedded PGlite directory, or `memory://` for a throw-away database. */
  dataDir: string;
  schema: string;
  pool: PoolSettings;
  neon: NeonSocketOptions | undefined;
  /** An open PGlite to use instead of opening `dataDir` (see DbOptions.pglite). */
  pglite?: PGlite;
}

export interface DbOptions {
  url?: string;
  schema?: string;
  dataDir?: string;
  driver?: DriverName;
  pool?: Partial<PoolSettings>;
  neon?: NeonSocketOptions;
  /**
   * An open PGlite to serve instead of opening `dataDir`; whoever opened it closes it (tests: one
   * in-process instance per test file, each database in a schema of its own, instead of an initdb each).
   */
  pglite?: PGlite;
}

/** A Neon host speaks the Neon protocol; anything else is an ordinary Postgres server. */
export function driverForUrl(url: string): DriverName {
  const host = new URL(url).hostname;
  return /\.neon\.(tech|build)$/.test(host) ? 'neon' : 'pg';
}

/**
 * Resolves database configuration: explicit options → environment → embedded default.
 * Bad values stop here with one line that names the variable.
 */
export function resolveDbConfig(options: DbOptions = {}, env: NodeJS.ProcessEnv = process.env): DbConfig {
  const parsed = DbEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('configuration', `${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const url = options.url ?? e.DATABASE_URL;
  if (options.url !== undefined) {
    const check = postgresUrl.safeParse(options.url);
    if (!check.success)
      throw new AppError('configuration', `database url: ${check.error.issues[0]!.message}`);
  }
  const schema = options.schema ?? e.DB_SCHEMA;
  const schemaCheck = identifier.safeParse(schema);
  if (!schemaCheck.success)
    throw new AppError('configuration', `DB_SCHEMA: ${schemaCheck.error.issues[0]!.message}`);
  const driver: DriverName = options.driver ?? e.DB_DRIVER ?? (url ? driverForUrl(url) : 'pglite');
  if (driver !== 'pglite' && !url) {
    throw new AppError('configuration', `DATABASE_URL: required for the ${driver} driver`);
  }
  return {
    driver,
    url: driver === 'pglite' ? undefined : url,
    dataDir: options.dataDir ?? e.DATA_DIR,
    schema,
    pool: {
      max: options.pool?.max ?? e.DB_POOL_MAX,
      idleTimeoutMs: options.pool?.idleTimeoutMs ?? e.DB_POOL_IDLE_TIMEOUT_MS,
      maxLifetimeSeconds: options.pool?.maxLifetimeSeconds ?? e.DB_POOL_MAX_LIFETIME_S,
      statementTimeoutMs: options.pool?.statementTimeoutMs ?? e.DB_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: options.pool?.connectTimeoutMs ?? e.DB_CONNECT_TIMEOUT_MS,
      lockTimeoutMs: options.pool?.lockTimeoutMs ?? e.DB_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs:
        options.pool?.idleInTransactionTimeoutMs ?? e.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    neon: options.neon ?? (e.DB_NEON_WS_PROXY ? relayOptions(e.DB_NEON_WS_PROXY) : undefined),
    ...(options.pglite && driver === 'pglite' ? { pglite: options.pglite } : {}),
  };
}

/** Neon's driver through a plain (not TLS) WebSocket relay to an ordinary Postgres. */
function relayOptions(template: string): NeonSocketOptions {
  return {
    wsProxy: (host, port) => template.replaceAll('{host}', host).replaceAll('{port}', String(port)),
    useSecureWebSocket: false,
    pipelineTLS: false,
    pipelineConnect: false,
  };
}

/** A URL safe to print: no password, no query string. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
}
