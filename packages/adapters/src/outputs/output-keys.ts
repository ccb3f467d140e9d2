import { OUTPUT_EXTENSIONS, type OutputMediaType } from '@genledger/core/contracts/outputs';

const TYPE_BY_EXTENSION = new Map(
  Object.entries(OUTPUT_EXTENSIONS).map(([type, ext]) => [ext, type as OutputMediaType]),
);

/**
 * `generations/{uuid}/{attempt}/{index}-{32 hex of its sha256}.{ext}` (`outputKey`), and the shapes
 * records kept before hold: `generations/{uuid}/{attempt}/{index}.{ext}` (before keys named their
 * content) and `generations/{uuid}/{index}.{ext}` (before outputs were kept per attempt); nothing
 * else: a key is data and never leaves the store.
 */
const KEY =
  /^generations\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/(?:\d{1,9}\/\d{1,4}(?:-[0-9a-f]{32})?|\d{1,4})\.([a-z0-9]{2,4})$/;

/** The media type a well-formed key holds, or undefined for any other string. */
export function mediaTypeOfKey(key: string): OutputMediaType | undefined {
  const ext = KEY.exec(key)?.[1];
  return ext === undefined ? undefined : TYPE_BY_EXTENSION.get(ext);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
