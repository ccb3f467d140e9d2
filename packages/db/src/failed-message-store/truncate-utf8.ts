import { MAX_STORED_BODY_BYTES } from '@genledger/core/contracts/failed-messages';

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
