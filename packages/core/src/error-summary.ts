/**
 * What may be logged about an error: its class, its code and its causes, never the values a
 * statement was run with. A query wrapper's message quotes the SQL parameters (prompts, names, key
 * hashes), and some Postgres messages quote the offending input (`invalid input syntax for type
 * uuid: "…"`), so both are withheld; connection and pool failures say what went wrong and are kept.
 */
export interface ErrorSummary {
  /** The outermost error's class (`DrizzleQueryError`, `DatabaseError`, `Error`, …). */
  errorClass: string;
  /** The first code found along the cause chain: a SQLSTATE (`55P03`) or a Node code (`ECONNREFUSED`). */
  errorCode: string | undefined;
  /** One line: each error of the cause chain, outermost first, joined by ` ← `. */
  error: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
/**
 * SQLSTATE classes whose messages name a condition, not a value: connection, integrity (the
 * constraint's name; the values are in `detail`, which is never read), transaction state,
 * authorization, missing database, rollback, syntax/undefined object, resources, object state
 * (lock timeout), operator intervention (shutdown, statement timeout).
 */
const SAFE_SQLSTATE_CLASSES = new Set(['08', '23', '25', '28', '3D', '40', '42', '53', '55', '57']);
const MAX_PART = 300;
const MAX_DEPTH = 5;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  query?: unknown;
  params?: unknown;
}

/** A query wrapper (drizzle's `DrizzleQueryError`): its message is the SQL text plus its parameters. */
const isQueryWrapper = (e: ErrorLike) => typeof e.query === 'string' && Array.isArray(e.params);

/** The constructor's name (`DatabaseError`; node-postgres sets `name` to "error"), else `name`. */
function className(e: ErrorLike): string {
  const ctor = (e as object).constructor?.name;
  if (ctor && ctor !== 'Error' && ctor !== 'Object') return ctor;
  return typeof e.name === 'string' && e.name.length > 0 ? e.name : 'Error';
}

const firstLine = (s: string) => {
  const line = s.split('\n')[0] ?? '';
  return line.length > MAX_PART ? `${line.slice(0, MAX_PART)}…` : line;
};

function part(e: ErrorLike): { text: string; code: string | undefined } {
  const name = className(e);
  const code = typeof e.code === 'string' && e.code.length > 0 ? e.code : undefined;
  if (isQueryWrapper(e)) return { text: `${name}: query failed`, code };
  const message = typeof e.message === 'string' ? e.message : '';
  if (code && SQLSTATE.test(code)) {
    const safe = SAFE_SQLSTATE_CLASSES.has(code.slice(0, 2));
    return {
      text: `${name} ${code}: ${safe ? firstLine(message) : 'message withheld (it may quote input)'}`,
      code,
    };
  }
  return { text: `${name}${code ? ` ${code}` : ''}${message ? `: ${firstLine(message)}` : ''}`, code };
}

export function summarizeError(e: unknown): ErrorSummary {
  if (e === null || typeof e !== 'object') {
    return { errorClass: typeof e, errorCode: undefined, error: firstLine(String(e)) };
  }
  const parts: string[] = [];
  let errorCode: string | undefined;
  let cur: unknown = e;
  for (let depth = 0; depth < MAX_DEPTH && cur !== null && typeof cur === 'object'; depth++) {
    const p = part(cur as ErrorLike);
    parts.push(p.text);
    errorCode ??= p.code;
    cur = (cur as ErrorLike).cause;
  }
  return { errorClass: className(e as ErrorLike), errorCode, error: parts.join(' ← ') };
}

/** True when some error along the cause chain is a query wrapper, whose message must not be shown. */
export function carriesQuery(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < MAX_DEPTH && cur !== null && typeof cur === 'object'; depth++) {
    if (isQueryWrapper(cur as ErrorLike)) return true;
    cur = (cur as ErrorLike).cause;
  }
  return false;
}

/** A stack trace without its first line (the message, which may quote parameters): frames only. */
export function stackFrames(e: unknown): string | undefined {
  if (!(e instanceof Error) || !e.stack) return undefined;
  const frames = e.stack.split('\n').filter((l) => /^\s+at /.test(l));
  return frames.length > 0 ? frames.join('\n') : undefined;
}

/** Log fields for an error: class, code and the cause chain, nothing that can carry input. */
export const errorFields = (e: unknown): Record<string, unknown> => {
  const s = summarizeError(e);
  return { errorClass: s.errorClass, ...(s.errorCode ? { errorCode: s.errorCode } : {}), error: s.error };
};

/**
 * The error's own message when it can carry no input, else its summary: for the places that
 * record or return a message (a run's error, a maintenance step's error, a log line).
 */
export function safeMessage(e: unknown): string {
  if (!(e instanceof Error)) return summarizeError(e).error;
  let cur: unknown = e;
  for (let depth = 0; depth < MAX_DEPTH && cur !== null && typeof cur === 'object'; depth++) {
    const c = cur as ErrorLike;
    if (isQueryWrapper(c)) return summarizeError(e).error;
    if (typeof c.code === 'string' && SQLSTATE.test(c.code) && !SAFE_SQLSTATE_CLASSES.has(c.code.slice(0, 2)))
      return summarizeError(e).error;
    cur = c.cause;
  }
  return e.message || summarizeError(e).error;
}
