import { OUTPUT_EXTENSIONS, type OutputMediaType } from '@genledger/core/contracts/outputs';

const TYPE_BY_EXTENSION = new Map(
  Object.entries(OUTPUT_EXTENSIONS).map(([type, ext]) => [ext, type as OutputMediaType]),
);

/**
 * `generations/{uuid}/{attempt}/{index}.{ext}`, or `generations/{uuid}/{index}.{ext}` as records
 * kept before outputs were kept per attempt hold, and nothing else: a key is data and never leaves
 * the store.
 */
const KEY =
  /^generations\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/(?:\d{1,9}\/)?\d{1,4}\.([a-z0-9]{2,4})$/;

/** The media type a well-formed key holds, or undefined for any other string. */
export function mediaTypeOfKey(key: string): OutputMediaType | undefined {
  const ext = KEY.exec(key)?.[1];
  return ext === undefined ? undefined : TYPE_BY_EXTENSION.get(ext);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
