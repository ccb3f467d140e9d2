import fc from 'fast-check';

/** Any Unicode, with NUL and unpaired surrogates spliced in often enough to matter. */
export const hostile = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom('\u0000', '\ud800', '\udfff', 'x\udc00', '\udbff\u0000', '', 'ok'),
    fc.string({ unit: 'binary', maxLength: 12 }),
  )
  .map(([a, b, c]) => a + b + c);

/** Percent-encodes UTF-16 as WTF-8: an unpaired surrogate becomes its three bytes, as a client may send. */
export const encode = (s: string) =>
  Array.from(s, (ch) => {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff)
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    return encodeURIComponent(ch);
  }).join('');
