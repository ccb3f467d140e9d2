import type { GenerationRecord } from '@genledger/core/contracts/generation';
import type { KeptOutput } from '@genledger/core/contracts/outputs';
import type { OutputStore, StoredOutput } from '@genledger/core/ports/output-store';

/**
 * Where the detail page loads a generation's `index`-th output from: the console itself, which
 * reads it through the output store (files or S3) under the signed-in session, so the page needs
 * no signed link and the CSP stays `'self'`.
 */
export const outputHref = (generationId: string, index: number) =>
  `/console/generations/${generationId}/outputs/${index}`;

/** Pictures are shown inline; a video (no captions to offer) or a PDF is a link to open. */
export const isInlineImage = (o: KeptOutput) => o.contentType.startsWith('image/');

/** A generation's `index`-th output from the store, or why there is none to serve. */
export async function readOutput(
  outputs: OutputStore,
  g: GenerationRecord | undefined,
  index: number,
): Promise<StoredOutput | { missing: string }> {
  const kept = g?.outputs[index];
  if (!kept) return { missing: 'no such output' };
  const stored = await outputs.read(kept.key);
  return stored ?? { missing: 'the output is no longer in the store' };
}
