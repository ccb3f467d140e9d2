import * as z from 'zod';

/**
 * Shared refinements for values that end up in Postgres. Every edge (HTTP bodies, query strings,
 * path parameters, queue messages, settings) validates with these, so input Postgres would refuse
 * is a 400 naming its field, or an invalid message recorded at once, never a driver error.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** No NUL (text and jsonb refuse it), no UTF-16 surrogate without its partner (not valid UTF-8). */
export const isStorableString = (s: string): boolean => !s.includes('\u0000') && !LONE_SURROGATE.test(s);

const TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * The string with each NUL and unpaired surrogate replaced by U+FFFD: for what must be kept even
 * though it cannot be refused (a dead-lettered body is recorded as it came, as far as it can be).
 */
export const toStorableString = (s: string): string =>
  isStorableString(s) ? s : s.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATES, '\uFFFD');

/** A string Postgres `text` can hold; chain `.min()` / `.max()` / `.regex()` as usual. */
export const text = () => z.string().refine(isStorableString, { message: TEXT_MESSAGE, abort: true });

/** The range every driver writes and reads back the same: years 0001–9999 in UTC. */
export const MIN_TIMESTAMP_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_TIMESTAMP_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * An ISO 8601 date-time with an offset, within years 0001–9999 once the offset is applied
 * (Postgres has no year 0, and `+010000-…` is not a timestamp drivers can send).
 */
export const timestamp = () =>
  z.iso.datetime({ offset: true }).refine(
    (v) => {
      const ms = Date.parse(v);
      return Number.isFinite(ms) && ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS;
    },
    { message: 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z' },
  );

/** A calendar date `YYYY-MM-DD` that exists (no 2024-02-30) within years 0001–9999. */
export const calendarDate = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD')
    .refine(
      (v) => {
        const ms = Date.parse(`${v}T00:00:00Z`);
        return Number.isFinite(ms) && ms >= MIN_TIMESTAMP_MS && new Date(ms).toISOString().startsWith(v);
      },
      { message: 'must be a calendar date between 0001-01-01 and 9999-12-31' },
    );

/** Smallest normal 32-bit float: below it a `real` column underflows (Postgres refuses it). */
const FLT_MIN = 1.1754943508222875e-38;
const FLT_MAX = 3.4028234663852886e38;

/** A number a Postgres `real` (float4) column holds: zero, or a normal single-precision magnitude. */
export const real = () =>
  z.number().refine((v) => v === 0 || (Math.abs(v) >= FLT_MIN && Math.abs(v) <= FLT_MAX), {
    message: 'must be 0 or between 1.2e-38 and 3.4e38 in magnitude (a 32-bit float)',
  });

export const MAX_JSON_DEPTH = 32;

/**
 * Why it is not storable as `jsonb`, or undefined. Walks the value with an explicit stack, so a
 * value nested thousands deep is refused rather than overflowing the call stack.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'numbers must be finite';
      continue;
    }
    if (typeof v === 'string') {
      if (!isStorableString(v)) return `strings ${TEXT_MESSAGE}`;
      continue;
    }
    if (typeof v !== 'object') return 'must be a JSON value';
    if (depth >= maxDepth) return `must be nested at most ${maxDepth} levels deep`;
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ v: item, depth: depth + 1 });
      continue;
    }
    for (const [k, item] of Object.entries(v)) {
      if (!isStorableString(k)) return `keys ${TEXT_MESSAGE}`;
      stack.push({ v: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Any JSON value `jsonb` can hold, nested at most MAX_JSON_DEPTH levels. */
export const jsonValue = () =>
  z.unknown().check((ctx) => {
    const problem = jsonProblem(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });
