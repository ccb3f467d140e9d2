// `npm start`'s entry (packages/local/src/main.ts) bundled with esbuild for the tests that start
// and kill it again and again: our packages in the bundle, every other package left to node_modules
// as tsx leaves it. A start then skips tsx's loader and per-file transforms (≈ 1.5 s against 4–8 s
// here). The same source runs; test/local/api-local.test.ts starts it once through tsx, as
// `npm start` does.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..', '..');

/** Builds the bundle under node_modules/.cache (so its imports resolve); `remove` deletes it. */
export async function bundleLocalMain(): Promise<{ file: string; remove: () => void }> {
  const dir = join(
    ROOT,
    'node_modules',
    '.cache',
    'genledger-test',
    `local-main-${process.pid}-${Date.now()}`,
  );
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'main.mjs');
  await build({
    entryPoints: [join(ROOT, 'packages/local/src/main.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [
      {
        name: 'node-modules-outside',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (a) =>
            a.path.startsWith('@genledger/') ? undefined : { path: a.path, external: true },
          );
        },
      },
    ],
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
