import * as z from 'zod';

/**
 * The media types genledger keeps, each recognised by its leading bytes (never by what a backend
 * claims): anything else a backend hands over is a permanent failure of the attempt.
 */
export const OUTPUT_MEDIA_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'video/mp4',
  'application/pdf',
] as const;
export const OutputMediaType = z.enum(OUTPUT_MEDIA_TYPES);
export type OutputMediaType = z.infer<typeof OutputMediaType>;

/** The file extension each kept media type is stored under (`generations/{id}/{attempt}/{index}-{hash}.{ext}`). */
export const OUTPUT_EXTENSIONS: Record<OutputMediaType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'video/mp4': 'mp4',
  'application/pdf': 'pdf',
};

/** Outputs one generation may keep: a backend answering more breaks the contract. */
export const MAX_OUTPUTS_PER_GENERATION = 32;

/** Where a generation's outputs live in the store: every key of one generation starts with this. */
export const generationOutputPrefix = (generationId: string) => `generations/${generationId}/`;

/** Hex digits of an output's SHA-256 its key carries: 128 bits, beyond a birthday search (2^64). */
const KEY_HASH_HEX = 32;

/**
 * The store key of the `index`-th output (0-based) an attempt kept, by its media type and content:
 * `generations/{id}/{attempt}/{index}-{sha256, first 32 hex}.{ext}`. Each attempt writes under its
 * own prefix, so a late report of one attempt never overwrites what another kept; and the same
 * attempt's report repeated with other bytes writes other keys, so the bytes at a recorded key are
 * always the ones whose hash was recorded (docs/outputs.md#keys). Records written before keep their
 * keys (`{attempt}/{index}.{ext}`, and before that `{index}.{ext}`): keys are data.
 */
export const outputKey = (
  generationId: string,
  attempt: number,
  index: number,
  contentType: OutputMediaType,
  sha256: string,
) =>
  `${generationOutputPrefix(generationId)}${attempt}/${index}-${sha256.slice(0, KEY_HASH_HEX)}.${OUTPUT_EXTENSIONS[contentType]}`;

/**
 * An output as a backend hands it over, before genledger keeps it: bytes in hand (the builtin
 * generator), a `data:` URL (Cog's default), or an http(s) URL to fetch (Replicate's expire after
 * an hour; ComfyUI's `/view`). `headers` go with the fetch (a Replicate token), never into storage.
 */
export type OutputSource =
  | { kind: 'bytes'; body: Uint8Array; contentType?: string }
  | { kind: 'url'; url: string; headers?: Record<string, string> };

/** An output once kept in the output store: what the generation record holds. */
export const KeptOutput = z.object({
  /** The store's key, `outputKey`'s (records kept before hold `{attempt}/{index}.{ext}` or `{index}.{ext}`). */
  key: z.string().max(200),
  contentType: OutputMediaType,
  bytes: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type KeptOutput = z.infer<typeof KeptOutput>;

/** An output as the API returns it: a signed, expiring link instead of the store's key. */
export const GenerationOutputView = z.object({
  url: z.string().describe('a signed link that expires (S3 presigned GET deployed; HMAC-signed locally)'),
  contentType: OutputMediaType,
  bytes: z.int().nonnegative(),
  sha256: z.string().describe('lower-case hex sha-256 of the bytes'),
});
export type GenerationOutputView = z.infer<typeof GenerationOutputView>;
