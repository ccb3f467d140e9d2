import * as z from 'zod';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from './limits.ts';
import { text } from './storable.ts';

/**
 * Characters as Postgres counts them (code points), which is what `varchar(255)` holds: an emoji
 * is one, not the two UTF-16 units `string.length` counts.
 */
const characters = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

const withinLimit = (s: string) => characters(s) <= MAX_IDEMPOTENCY_KEY_LENGTH;
const LIMIT_MESSAGE = `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`;

/**
 * An idempotency key: the one rule for the `Idempotency-Key` header and a queue message's
 * `idempotencyKey`, so the same key sent either way is the same key, accepted or refused alike.
 * Any text Postgres stores (no NUL, no unpaired surrogate), 1 to 255 characters.
 */
export const IdempotencyKey = text()
  .min(1)
  .refine(withinLimit, { message: LIMIT_MESSAGE })
  .meta({ maxLength: MAX_IDEMPOTENCY_KEY_LENGTH });

/** As a GenerationRequested event recorded it: whatever was accepted at the time, read back as is. */
export const RecordedIdempotencyKey = z.string().refine(withinLimit, { message: LIMIT_MESSAGE });
