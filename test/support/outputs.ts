import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileOutputStore } from '@genledger/adapters/outputs/file-output-store';
import { httpOutputFetcher } from '@genledger/adapters/outputs/http-output-fetcher';
import { localOutputLinks } from '@genledger/adapters/outputs/local-output-links';
import type { OutputSource } from '@genledger/core/contracts/outputs';
import type { KeepOutputsDeps } from '@genledger/core/use-cases/keep-outputs';

/** The 8 bytes every PNG begins with (PNG specification, 5.2), then `tail`: sniffed as image/png. */
export const pngBytes = (...tail: number[]) =>
  Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...tail]);

/** A generator's output as bytes in hand: one small PNG. */
export const pngOutput = (...tail: number[]): OutputSource[] => [{ kind: 'bytes', body: pngBytes(...tail) }];

/** A real file store in a fresh temporary directory, links signed for `baseUrl`. */
export function tempFileStore(options: { baseUrl?: () => string; ttlS?: number; now?: () => number } = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'gl-outputs-'));
  const links = localOutputLinks({
    secret: 'test-output-link-secret-of-32-characters',
    baseUrl: options.baseUrl ?? (() => 'http://127.0.0.1:1'),
    ttlS: options.ttlS ?? 3600,
    ...(options.now ? { now: options.now } : {}),
  });
  return { directory, links, store: fileOutputStore(directory, links) };
}

/** What the worker keeps outputs with, over a temporary file store. */
export function tempKeepOutputs(maxBytes = 1024 * 1024): KeepOutputsDeps {
  return { store: tempFileStore().store, fetcher: httpOutputFetcher({ timeoutMs: 5000 }), maxBytes };
}
