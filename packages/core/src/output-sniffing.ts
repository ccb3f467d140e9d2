import type { OutputMediaType } from './contracts/outputs.ts';

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/**
 * Signatures each kept media type's files begin with (the formats' own specifications: PNG's
 * 8-byte signature, JPEG's SOI + marker, RIFF…WEBP, GIF87a/89a, an ISO BMFF `ftyp` box, `%PDF-`).
 */
const SIGNATURES: readonly [OutputMediaType, (b: Uint8Array) => boolean][] = [
  ['image/png', (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['image/jpeg', (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ['image/webp', (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)],
  ['image/gif', (b) => startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))],
  ['video/mp4', (b) => startsWith(b, ascii('ftyp'), 4)],
  ['application/pdf', (b) => startsWith(b, ascii('%PDF-'))],
];

/**
 * The media type of `bytes` by their leading bytes, or undefined for anything genledger does not
 * keep. What a backend or a URL's Content-Type claims is never trusted: it is what a browser would
 * render from the signed link.
 */
export function sniffMediaType(bytes: Uint8Array): OutputMediaType | undefined {
  return SIGNATURES.find(([, matches]) => matches(bytes))?.[0];
}
