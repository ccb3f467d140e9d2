import { readFile, realpath } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import type { OutputStore, StoredOutput } from '@genledger/core/ports/output-store';

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

/** What a missing or unreadable file answers: the store does not hold it. Anything else is a fault. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'ELOOP', 'ENAMETOOLONG']);

const isAbsent = (e: unknown) => e instanceof Error && ABSENT.has((e as NodeJS.ErrnoException).code ?? '');

/** `path` lies strictly inside `root` (both resolved, symbolic links followed). */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * Generator outputs as files under one directory (`DATA_DIR/outputs` locally, where the built-in
 * generator writes them). A recorded path is resolved as the generator wrote it (relative to the
 * working directory) and served only when it, with every symbolic link followed, lies inside that
 * directory: a path recorded by a backend, or `..` in one, never reaches the rest of the disk.
 */
export function fileOutputStore(directory: string): OutputStore {
  return {
    async read(path: string): Promise<StoredOutput | undefined> {
      if (path.length === 0 || path.includes('\0')) return undefined;
      try {
        const root = await realpath(resolve(directory));
        const real = await realpath(resolve(path));
        if (!inside(root, real)) return undefined;
        const body = await readFile(real);
        const contentType = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
        return { body, contentType };
      } catch (e) {
        if (isAbsent(e)) return undefined;
        throw e;
      }
    },
  };
}
