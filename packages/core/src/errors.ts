/**
 * Errors are values with a kind; the HTTP edge maps each kind to one status code, the queue edge
 * decides retry versus give-up from it. Nothing else inspects messages.
 */
export type ErrorKind =
  | 'validation'
  | 'not-found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'rate-limited'
  | 'unavailable'
  | 'configuration';

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly fieldErrors: FieldError[];
  readonly retryAfterSeconds: number | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { fieldErrors?: FieldError[]; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.fieldErrors = options.fieldErrors ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

export const validationError = (message: string, fieldErrors: FieldError[] = []) =>
  new AppError('validation', message, { fieldErrors });
export const notFound = (message: string) => new AppError('not-found', message);
export const conflict = (message: string) => new AppError('conflict', message);
export const unavailable = (message: string, cause?: unknown) =>
  new AppError('unavailable', message, { cause });

/** zod issues → field errors with dotted paths (`request.width`). */
export function fieldErrorsFromZod(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): FieldError[] {
  return issues.map((i) => ({ field: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/**
 * Every kind's HTTP status, here and nowhere else: both HTTP edges (the JSON API and the console)
 * answer with it. `validation` is 400 for any input that does not match its contract — path,
 * query, headers or body alike — so a client needs one rule. `configuration` is a server fault.
 */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'rate-limited': 429,
  unavailable: 503,
  configuration: 500,
};

/**
 * Seconds a client is told to wait (Retry-After) when the database is away or its schema is being
 * upgraded: one value for every HTTP edge (the JSON API, its schema gate, the console, a Lambda
 * that could not start), so a client backs off alike whichever one answered.
 */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Anything thrown, as an edge answers it: an AppError as it is; what `isUnavailable` recognises
 * (a database that is down, restarting, out of connections or holding a lock too long) as an
 * `unavailable` error to retry after `retryAfterSeconds`: not the client's fault and not a bug.
 * Anything else is undefined: a bug, answered as an internal error and logged by class.
 */
export function asAppError(
  err: unknown,
  isUnavailable: (e: unknown) => boolean,
  retryAfterSeconds: number,
): AppError | undefined {
  if (isAppError(err)) return err;
  if (isUnavailable(err))
    return new AppError('unavailable', 'the database is unavailable; retry shortly', {
      retryAfterSeconds,
      cause: err,
    });
  return undefined;
}
