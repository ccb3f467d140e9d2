// `npm run bench`: runs every bench/*.bench.ts (or the ones named on the command line), prints
// each one's figures as ratios against a baseline measured in the same run, and merges them into
// bench/results.json under the bench's name. Not a test: nothing here asserts on time.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, 'results.json');
const wanted = process.argv.slice(2);
/** Benches that take many minutes run only when named (`npm run bench -- scale`). */
const OPT_IN = new Set(['scale', 'scale-archive']);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) =>
    wanted.length === 0 ? !OPT_IN.has(basename(f, '.bench.ts')) : wanted.includes(basename(f, '.bench.ts')),
  )
  .sort();

const results: Record<string, unknown> = existsSync(resultsFile)
  ? JSON.parse(readFileSync(resultsFile, 'utf8'))
  : {};
for (const file of files) {
  const name = basename(file, '.bench.ts');
  console.log(`\n== ${name} ==`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as {
    default: () => Promise<Record<string, unknown>>;
  };
  const started = Date.now();
  results[name] = {
    ...(await mod.default()),
    measuredAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
  };
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
}
console.log(`\nfigures written to ${resultsFile}`);
process.exit(0);
