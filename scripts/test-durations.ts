// Writes test/durations.json from vitest's results cache after a full `npm test`: each file's
// duration, longest first, which vitest.config.ts orders a run by when that cache is absent (a
// fresh clone, as in CI). Files that no longer exist are left out.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const cacheDir = join('node_modules', '.vite', 'vitest');
const cache = existsSync(cacheDir)
  ? readdirSync(cacheDir)
      .map((d) => join(cacheDir, d, 'results.json'))
      .find((f) => existsSync(f))
  : undefined;
if (!cache) {
  console.error('no vitest results cache under node_modules/.vite/vitest: run `npm test` first');
  process.exit(1);
}
const { results } = JSON.parse(readFileSync(cache, 'utf8')) as {
  results: [string, { duration?: number }][];
};
const durations = results
  .filter(([key, r]) => r.duration !== undefined && existsSync(key.slice(key.indexOf(':') + 1)))
  .map(([key, r]) => [key, Math.round(r.duration!)] as const)
  .sort((a, b) => b[1] - a[1]);
writeFileSync('test/durations.json', `${JSON.stringify(Object.fromEntries(durations), null, 2)}\n`);
console.log(`test/durations.json: ${durations.length} files`);
