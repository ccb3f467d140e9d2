import { mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { generationOutputPrefix } from '@genledger/core/contracts/outputs';
import type { OutputStore, StoredOutput } from '@genledger/core/ports/output-store';
import type { LocalOutputLinks } from './local-output-links.ts';
import { mediaTypeOfKey, UUID } from './output-keys.ts';

/** What a missing or unreadable file answers: the store does not hold it. Anything else is a fault. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'ELOOP', 'ENAMETOOLONG']);

const isAbsent = (e: unknown) => e instanceof Error && ABSENT.has((e as NodeJS.ErrnoException).code ?? '');

/** `path` lies strictly inside `root` (both resolved, symbolic links followed). */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function checkedKey(key: string): string {
  if (!mediaTypeOfKey(key)) throw new Error('not an output key');
  return key;
}

/**
 * Outputs as files under one directory (`DATA_DIR/outputs` for `npm start`), one file per key,
 * with links signed by `links` and served by the local server. Only well-formed keys are written
 * or read, and a read follows symbolic links only as far as the directory: a key is data, never a
 * licence to read the disk. A write goes to a temporary file renamed into place, so a reader never
 * sees half an output.
 */
export function fileOutputStore(directory: string, links: LocalOutputLinks): OutputStore {
  const root = resolve(directory);
  return {
    async put(key, body) {
      const path = join(root, checkedKey(key));
      await mkdir(dirname(path), { recursive: true });
      const partial = `${path}.${process.pid}.${Date.now()}.partial`;
      await writeFile(partial, body);
      await rename(partial, path);
    },
    async read(key): Promise<StoredOutput | undefined> {
      const contentType = mediaTypeOfKey(key);
      if (!contentType) return undefined;
      try {
        const real = await realpath(join(root, key));
        if (!inside(await realpath(root), real)) return undefined;
        const body = await readFile(real);
        return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), contentType };
      } catch (e) {
        if (isAbsent(e)) return undefined;
        throw e;
      }
    },
    async signedUrl(key) {
      return links.sign(checkedKey(key));
    },
    async deleteGeneration(generationId) {
      if (!UUID.test(generationId)) return;
      await rm(join(root, generationOutputPrefix(generationId)), { recursive: true, force: true });
    },
    async delete(keys) {
      for (const key of keys) if (mediaTypeOfKey(key)) await rm(join(root, key), { force: true });
    },
  };
}
