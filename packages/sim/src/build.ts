// Each function bundled as SST's Node.js runtime bundles it: esbuild, ESM `.mjs` with SST's
// require/__dirname banner, the config's esbuild options, minify and splitting; `copyFiles`
// copied beside it, source maps only when asked for. One directory per function, made read-only
// afterwards (Lambda's /var/task is).
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { cacheEntry, restoreBuild, storeBuild } from './build-cache.ts';
import type { FunctionSpec } from './deployment.ts';

const SST_BANNER = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  'const require = topLevelCreateRequire(import.meta.url);',
  "import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from 'url';",
  'const __filename = topLevelFileUrlToPath(import.meta.url);',
  "const __dirname = topLevelFileUrlToPath(new topLevelURL('.', import.meta.url));",
].join('\n');

/** The handler's file and export: `functions/worker.handler` → `functions/worker`, `handler`. */
export function handlerParts(handler: string): { file: string; exportName: string } {
  const i = handler.lastIndexOf('.');
  return { file: handler.slice(0, i), exportName: handler.slice(i + 1) };
}

/**
 * Builds `fn` into `outDir`; with `cacheDir`, a bundle built earlier from the same inputs (same
 * content) is copied instead.
 */
export async function buildFunction(
  fn: FunctionSpec,
  root: string,
  outDir: string,
  cacheDir?: string,
): Promise<string> {
  const { file } = handlerParts(fn.handler);
  const entry = ['.ts', '.mts', '.js', '.mjs'].map((x) => join(root, file + x)).find((p) => exists(p));
  if (!entry) throw new Error(`${fn.name}: handler file ${file}.ts not found`);
  makeWritable(outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const cached = cacheDir && cacheEntry(cacheDir, { entry, nodejs: fn.nodejs, copyFiles: fn.copyFiles });
  if (cached && restoreBuild(cached, root, outDir)) return outDir;
  const result = await build({
    entryPoints: { [file]: entry },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    keepNames: true,
    sourcemap: true,
    minify: fn.nodejs.minify ?? false,
    splitting: fn.nodejs.splitting ?? false,
    external: fn.nodejs.esbuild?.external ?? [],
    banner: { js: SST_BANNER },
    logLevel: 'silent',
    metafile: true,
  });
  // SST builds source maps but leaves them out of the deployed bundle unless `nodejs.sourcemap`
  // asks for them (it uploads them for its console instead): without them, stacks name the bundle's
  // chunks, as they do on Lambda.
  if (!fn.nodejs.sourcemap)
    for (const f of readdirSync(outDir, { recursive: true, encoding: 'utf8' }))
      if (f.endsWith('.map')) rmSync(join(outDir, f));
  for (const copy of fn.copyFiles)
    cpSync(resolve(root, copy.from), join(outDir, copy.to ?? copy.from), { recursive: true });
  if (cached)
    storeBuild(cached, root, outDir, [
      ...Object.keys(result.metafile.inputs),
      ...fn.copyFiles.map((c) => c.from),
    ]);
  return outDir;
}

const exists = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** Read-only for everyone (files 0444, directories 0555): the function process cannot write here. */
export function makeReadOnly(dir: string) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) makeReadOnly(p);
    else chmodSync(p, 0o444);
  }
  chmodSync(dir, 0o555);
}

function makeWritable(dir: string) {
  try {
    chmodSync(dir, 0o755);
  } catch {
    return;
  }
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) makeWritable(join(dir, entry.name));
  }
}
