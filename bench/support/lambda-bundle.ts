import { type BuildResult, build } from 'esbuild';

const REQUIRE_SHIM =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/**
 * A function bundled the way SST builds it (esbuild, ESM, node22, split chunks, names kept,
 * PGlite external, minified), or the naive baseline of the benches (not minified, nothing
 * external). Returns the metafile's outputs and the entry's output file (relative to the working
 * directory).
 */
export async function lambdaBundle(entry: string, outdir: string, naive: boolean) {
  const result: BuildResult<{ metafile: true }> = await build({
    entryPoints: [entry],
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: !naive,
    keepNames: true,
    external: naive ? [] : ['@electric-sql/pglite'],
    banner: { js: REQUIRE_SHIM },
    logLevel: 'silent',
    metafile: true,
  });
  const outputs = result.metafile.outputs;
  const [file] = Object.entries(outputs).find(([, o]) => o.entryPoint === entry)!;
  return { outputs, file };
}
