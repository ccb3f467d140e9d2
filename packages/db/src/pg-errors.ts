/** Postgres error details, looked up through drizzle's wrapping (`DrizzleQueryError.cause`). */
export interface PgErrorInfo {
  code?: string;
  constraint?: string;
  message: string;
}

export function pgError(e: unknown): PgErrorInfo | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    const o = cur as { code?: unknown; constraint?: unknown; message?: unknown; cause?: unknown };
    if (typeof o.code === 'string') {
      return {
        code: o.code,
        constraint: typeof o.constraint === 'string' ? o.constraint : undefined,
        message: String(o.message ?? ''),
      };
    }
    cur = o.cause;
  }
  return undefined;
}

/** Node socket failures: the server is down, restarting, unreachable or dropped the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
/**
 * SQLSTATEs that say "not now" rather than "never": connection exceptions (08), serialization and
 * deadlock rollbacks (40001, 40P01), idle-in-transaction timeout (25P03), too many connections and
 * other resource shortages (53), lock timeout (55P03), statement timeout and shutdowns (57014,
 * 57P01–57P05).
 */
const RETRYABLE_SQLSTATE = /^(08|53|57)|^(40001|40P01|25P03|55P03|55006)$/;
/** Driver messages with no code: pool wait timeout, a connection closed under a query, PGlite closed. */
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection error|WebSocket was closed|socket hang up|Client was closed|Client has encountered a connection error|terminating connection|Connection timeout|PGlite is closed/i;

/**
 * True when the database could not serve this statement right now (down, restarting, timing out,
 * out of connections, a lock held too long): the caller should try again later, so the HTTP edge
 * answers 503 with Retry-After and the queue redelivers. False for errors a retry would repeat.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 6 && cur !== null && typeof cur === 'object'; depth++) {
    const o = cur as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
      params?: unknown;
    };
    if (typeof o.code === 'string' && (NETWORK_CODES.has(o.code) || RETRYABLE_SQLSTATE.test(o.code)))
      return true;
    // Messages decide only for driver errors without a SQLSTATE: a query wrapper's message is the
    // SQL and its parameters, and a server error's may quote the input; neither is a diagnosis.
    const diagnosable =
      !Array.isArray(o.params) && !(typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code));
    if (diagnosable && typeof o.message === 'string' && UNAVAILABLE_MESSAGES.test(o.message)) return true;
    // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
    if (Array.isArray(o.errors) && o.errors.some((x) => isDatabaseUnavailable(x))) return true;
    cur = o.cause;
  }
  return false;
}

/**
 * A statement that waited `lock_timeout` for one row (55P03): the row's holder is slow, the
 * database is not away, so it needs no fresh health probe.
 */
export const isLockTimeout = (e: unknown) => pgError(e)?.code === '55P03';

export const isUniqueViolation = (e: unknown, constraint?: string) => {
  const info = pgError(e);
  return info?.code === '23505' && (constraint === undefined || info.constraint === constraint);
};

/** One line that says what failed when the server could not be used at all. */
export function describeConnectionError(e: unknown, target: string): string {
  const info = pgError(e);
  const raw = e instanceof Error ? e : undefined;
  const code = info?.code ?? (raw as { code?: string } | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot reach the database at ${target}: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the database at ${target}: host not found`;
    case 'ETIMEDOUT':
      return `cannot reach the database at ${target}: connection timed out`;
    case '28P01':
    case '28000':
      return `the database at ${target} rejected the credentials: ${info?.message ?? 'authentication failed'}`;
    case '3D000':
      return `the database at ${target} does not exist: ${info?.message ?? ''}`.trim();
    default: {
      const cause = raw?.cause instanceof Error ? raw.cause.message : undefined;
      const message = cause ?? raw?.message ?? String(e);
      return `cannot use the database at ${target}: ${message.split('\n')[0]}`;
    }
  }
}
