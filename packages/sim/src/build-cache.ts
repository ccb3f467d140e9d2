// Function bundles kept by their inputs' content: a start whose inputs (every source file esbuild
// read, the build options, the copied files) are unchanged copies the earlier bundle instead of
// building again. Test files that each start a simulation share one (`SIM_BUILD_CACHE`).
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

interface Manifest {
  /** Each input (esbuild's metafile inputs, the copied files) by path, with its content's hash. */
  inputs: Record<string, string>;
}

const MANIFEST = 'manifest.json';
const OUT = 'out';

/** The entry for a build's options (the entry file, the config's bundling options, copyFiles). */
export function cacheEntry(cacheDir: string, options: unknown): string {
  const key = createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 32);
  return join(cacheDir, key);
}

/** Copies the cached bundle to `outDir` when every input it was built from is unchanged. */
export function restoreBuild(entry: string, root: string, outDir: string): boolean {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(entry, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return false;
  }
  for (const [path, hash] of Object.entries(manifest.inputs))
    if (hashOf(resolve(root, path)) !== hash) return false;
  cpSync(join(entry, OUT), outDir, { recursive: true });
  return true;
}

/** Keeps `outDir` as the entry; written aside then renamed, so a reader never sees half of it. */
export function storeBuild(entry: string, root: string, outDir: string, inputs: string[]): void {
  const manifest: Manifest = { inputs: {} };
  for (const path of inputs) {
    const hash = hashOf(resolve(root, path));
    if (hash === undefined) return;
    manifest.inputs[path] = hash;
  }
  const staging = `${entry}.${process.pid}.${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  cpSync(outDir, join(staging, OUT), { recursive: true });
  writeFileSync(join(staging, MANIFEST), JSON.stringify(manifest));
  rmSync(entry, { recursive: true, force: true });
  try {
    renameSync(staging, entry);
  } catch {
    // Another start stored the same entry meanwhile: theirs is as good.
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A file's content hash, a directory's over its files; undefined when it is gone. */
function hashOf(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const hash = createHash('sha256');
  if (statSync(path).isDirectory()) {
    for (const f of readdirSorted(path)) hash.update(f).update(readFileSync(join(path, f)));
  } else hash.update(readFileSync(path));
  return hash.digest('hex');
}

function readdirSorted(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}
