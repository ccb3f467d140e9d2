import { extname } from 'node:path';
import type { OutputStore, StoredOutput } from '@genledger/core/ports/output-store';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif'];

const isImage = (path: string) => IMAGE_EXTENSIONS.includes(extname(path).toLowerCase());
const isUrl = (path: string) => /^[a-z]+:\/\//i.test(path);

/**
 * Where the detail page's <img> loads a generation's output from: an https URL as it is, an image
 * file through the console (`/output`), nothing for anything else.
 */
export function outputSource(generationId: string, output: string | null): string | undefined {
  if (!output) return undefined;
  if (/^https:\/\//.test(output)) return output;
  return isImage(output) ? `/console/generations/${generationId}/output` : undefined;
}

/** A generation's image output from the store, or why there is none to serve. */
export async function readImageOutput(
  outputs: OutputStore,
  path: string | null | undefined,
): Promise<StoredOutput | { missing: string }> {
  if (!path || !isImage(path) || isUrl(path)) return { missing: 'no local image output' };
  const stored = await outputs.read(path);
  return stored ?? { missing: 'the output file is not on this machine' };
}
