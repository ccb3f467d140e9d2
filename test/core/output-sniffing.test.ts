import { OUTPUT_EXTENSIONS, outputKey } from '@genledger/core/contracts/outputs';
import { sniffMediaType } from '@genledger/core/output-sniffing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe('sniffMediaType', () => {
  it('recognises each kept type by its leading bytes', () => {
    expect(sniffMediaType(bytes([0x89], 'PNG\r\n\x1a\n', [0, 0]))).toBe('image/png');
    expect(sniffMediaType(bytes([0xff, 0xd8, 0xff, 0xdb]))).toBe('image/jpeg');
    expect(sniffMediaType(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8L'))).toBe('image/webp');
    expect(sniffMediaType(bytes('GIF87a'))).toBe('image/gif');
    expect(sniffMediaType(bytes('GIF89a', [1, 0]))).toBe('image/gif');
    expect(sniffMediaType(bytes([0, 0, 0, 0x20], 'ftypmp42'))).toBe('video/mp4');
    expect(sniffMediaType(bytes('%PDF-1.7'))).toBe('application/pdf');
  });

  it('refuses what only looks close: truncated signatures, RIFF that is not WebP, text, nothing', () => {
    for (const b of [
      bytes([0x89], 'PNG\r\n'),
      bytes([0xff, 0xd8]),
      bytes('RIFF', [1, 2, 3, 4], 'WAVEfmt '),
      bytes('GIF88a'),
      bytes('ftyp'),
      bytes('%PDF'),
      bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      bytes('<html>'),
      new Uint8Array(0),
    ])
      expect(sniffMediaType(b)).toBeUndefined();
  });

  it('never throws, and whatever it answers is a kept type whose key it can build', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const type = sniffMediaType(b);
        if (type === undefined) return;
        expect(Object.keys(OUTPUT_EXTENSIONS)).toContain(type);
        expect(outputKey('00000000-0000-4000-8000-000000000000', 2, 3, type, 'c'.repeat(64))).toMatch(
          /^generations\/00000000-0000-4000-8000-000000000000\/2\/3-c{32}\.(png|jpg|webp|gif|mp4|pdf)$/,
        );
      }),
    );
  });
});
