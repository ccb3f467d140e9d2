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
