/**
 * A request header's value as the text its sender meant. Both HTTP paths hand the app a header as
 * its bytes read as Latin-1 (Node's parser does; `lambda-adapter.ts` turns API Gateway's UTF-8 text
 * into the same), which is right for the headers compared or verified byte for byte (signatures,
 * tokens, cookies) and wrong for a user's text: `灯台🌅` arrives as `ç¯å°ð`. A header the
 * product stores or echoes as text (a route's `requestHeaders`) is read through this.
 */

// ignoreBOM: a leading U+FEFF is part of what was sent, not a byte-order mark to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is the point
const ASCII = /^[\u0000-\u007f]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ByteString range is the point
const NOT_A_BYTE = /[^\u0000-\u00ff]/;

/**
 * The value's bytes decoded as UTF-8, or undefined when they are not UTF-8 (an overlong form, a
 * surrogate's bytes, a lone continuation byte, Latin-1 text) or decode to U+FFFD: that is what a
 * hop that could not read some bytes puts in their place, and two different keys would collapse
 * into one. Refused rather than kept as Latin-1, so a value means the same text on every path.
 */
export function headerText(value: string): string | undefined {
  if (ASCII.test(value)) return value;
  if (NOT_A_BYTE.test(value)) return undefined;
  let text: string;
  try {
    text = utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return undefined;
  }
  return text.includes('\uFFFD') ? undefined : text;
}
