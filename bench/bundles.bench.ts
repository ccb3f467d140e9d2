// Lambda cold start: each function bundled the way sst builds it (esbuild, ESM, node22, minified,
// PGlite external), its size and the time Node takes to import it in a fresh process, against a
// naive bundle of the API (not minified, nothing external) measured in the same run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { lambdaBundle } from './support/lambda-bundle.ts';

const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 7);

/** Returns the entry file and the bytes of everything written (entry and chunks). */
async function bundle(entry: string, outdir: string, naive: boolean) {
  const { outputs: meta, file } = await lambdaBundle(entry, outdir, naive);
  const outputs = Object.entries(meta);
  // PGlite's own chunk never loads in Lambda (DATABASE_URL is always set there).
  const bytes = outputs
    .filter(([, o]) => !Object.keys(o.inputs).some((i) => i.includes('drivers/pglite')))
    .reduce((n, [, o]) => n + o.bytes, 0);
  // What Lambda loads at init: the entry and the chunks it imports statically, transitively.
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const i of meta[f]!.imports) if (i.kind === 'import-statement' && meta[i.path]) visit(i.path);
  };
  visit(file);
  const initBytes = [...seen].reduce((n, f) => n + meta[f]!.bytes, 0);
  return { file: join(process.cwd(), file), bytes, initBytes };
}

/** Median wall time of `import()` of the bundle in a fresh Node process. */
function importMs(file: string): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`,
      ],
      { env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' },
    );
    samples.push(Number(out.trim().split('\n').at(-1)));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export default async function bundlesBench() {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bundles-'));
  const functions = readdirSync('functions').filter((f) => f.endsWith('.ts'));
  const naive = await bundle('functions/api.ts', join(dir, 'naive'), true);
  const naiveKb = naive.initBytes / 1024;
  const naiveMs = importMs(naive.file);
  console.log(`naive API bundle (baseline): ${naiveKb.toFixed(0)} KB, import ${naiveMs.toFixed(1)} ms`);
  const results: Record<
    string,
    { kb: number; totalKb: number; importMs: number; sizeRatio: number; importRatio: number }
  > = {};
  for (const f of functions) {
    const name = basename(f, '.ts');
    const out = await bundle(`functions/${f}`, join(dir, name), false);
    const kb = out.initBytes / 1024;
    const ms = importMs(out.file);
    results[name] = {
      kb: Number(kb.toFixed(1)),
      totalKb: Number((out.bytes / 1024).toFixed(1)),
      importMs: Number(ms.toFixed(1)),
      sizeRatio: Number((kb / naiveKb).toFixed(2)),
      importRatio: Number((ms / naiveMs).toFixed(2)),
    };
    console.log(
      `${name.padEnd(12)} ${kb.toFixed(0).padStart(5)} KB loaded at init (${results[name].sizeRatio}× naive; ${results[name].totalKb} KB shipped with lazy chunks)  import ${ms.toFixed(1).padStart(6)} ms (${results[name].importRatio}× naive)`,
    );
  }
  console.log('targets: api ≤ 350 KB and ≤ 40 ms import');
  return {
    naiveApi: { kb: Number(naiveKb.toFixed(1)), importMs: Number(naiveMs.toFixed(1)) },
    functions: results,
  };
}
