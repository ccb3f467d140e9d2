import { MAX_STORED_BODY_BYTES } from '@genledger/core/contracts/failed-messages';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_TYPE_LENGTH } from '@genledger/core/contracts/limits';

/**
 * Text as the columns hold it: cut to the column's named length (core's contracts/limits.ts,
 * schema/limits.ts), so a long error is stored shortened instead of failing its statement.
 */

/** An error as the columns and events hold it: its type and message cut to their columns' lengths. */
export function storedError(error: { type: string; message: string }): { type: string; message: string } {
  return {
    type: error.type.slice(0, MAX_ERROR_TYPE_LENGTH),
    message: error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH),
  };
}

/** An error message cut to the length of the `error_message` columns. */
export const storedErrorMessage = (message: string): string => message.slice(0, MAX_ERROR_MESSAGE_LENGTH);

/** Cuts a body to at most `max` bytes of UTF-8 without splitting a character. */
export function truncateUtf8(
  body: string,
  max = MAX_STORED_BODY_BYTES,
): { body: string; truncated: boolean } {
  if (Buffer.byteLength(body) <= max) return { body, truncated: false };
  let cut = Buffer.from(body).subarray(0, max).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return { body: cut, truncated: true };
}
