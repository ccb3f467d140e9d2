import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Three tiers, each runnable alone (`npm run test:unit`, `test:int`, `test:e2e`); `npm test` runs
 * them all in one pool. The int tier is two projects (`int`, `int-isolated`), see below.
 * - unit: no database, no process, no socket of our own;
 * - int: stores, the API and the wiring over real databases (the run's PostgreSQL, PGlite, the
 *   Neon driver through a local relay, fauxqs), and adapters against local servers;
 * - e2e: whole processes: `npm start` (started, killed), the simulated deploy, a browser, a
 *   database server stopped under load.
 */
const UNIT = [
  'test/core/**/*.test.ts',
  'test/db/config.test.ts',
  'test/adapters/queue-producer.test.ts',
  'test/sim/infra.test.ts',
  'test/sim/infra-operations.test.ts',
];
const E2E = [
  'test/local/api-local.test.ts',
  'test/local/crash-recovery.test.ts',
  'test/sim/recovery.test.ts',
  'test/sim/runtime.test.ts',
  'test/sim/sim.test.ts',
  'test/console/console-browser.test.ts',
  'test/api/database-faults.test.ts',
  'test/api/database-restart.test.ts',
];
// Int files about a Lambda container's module-scope state (SST's Resource, parsed once per
// process; the handler a function module opens once; the per-configuration database cache): they
// need modules of their own, so they run isolated, beside the int files that share a process.
const INT_ISOLATED = [
  'test/wiring/lambda-events.test.ts',
  'test/wiring/api-lambda.test.ts',
  'test/wiring/deploy-runtime.test.ts',
];
// The longest files, longest first (measured, 2 cores). Two workers finish together when the long
// files start first: on a fresh clone vitest has no durations to order by and takes projects by
// name, then files by size, which left api-lambda (≈ 15 s, in `int-isolated`, after `int`) to run
// last, alone. The rest keep vitest's order (the int files one after another, so a worker keeps
// its modules from one to the next).
const SLOWEST = [
  'test/local/crash-recovery.test.ts',
  'test/console/console-browser.test.ts',
  'test/sim/sim.test.ts',
  'test/local/api-local.test.ts',
  'test/sim/recovery.test.ts',
  'test/wiring/api-lambda.test.ts',
];

/**
 * Each file's duration in a warm run on 2 cores (ms, `project:path`), for a run without vitest's
 * results cache, as on a fresh clone in CI: there vitest orders files by size, which paired heavy
 * files badly (204 s against 187 s with the cache, the same commit back to back). Refreshed by
 * `npm run test:durations` after a run; a file missing from it runs after those it lists.
 */
const DURATIONS: Record<string, number> = JSON.parse(
  readFileSync(new URL('./test/durations.json', import.meta.url), 'utf8'),
);

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const path = (f: TestSpecification) => relative(f.project.config.root, f.moduleId);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.indexOf(path(f));
      return i === -1 ? SLOWEST.length : i;
    };
    // The last run's duration when vitest has it, else the committed one: longest first.
    const duration = (f: TestSpecification) => {
      const key = `${f.project.name}:${path(f)}`;
      return this.ctx.cache.getFileTestResults(key)?.duration ?? DURATIONS[key] ?? 0;
    };
    const sorted = await super.sort(files);
    return sorted
      .map((file, i) => ({ file, i, ms: duration(file) }))
      .sort(
        (a, b) =>
          rank(a.file) - rank(b.file) ||
          (a.file.project.name < b.file.project.name
            ? -1
            : a.file.project.name > b.file.project.name
              ? 1
              : 0) ||
          b.ms - a.ms ||
          a.i - b.i,
      )
      .map(({ file }) => file);
  }
}

// The run's PostgreSQL and the migrated template (every project with a database names it; it starts once).
const globalSetup = ['test/support/global-setup.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The run's one PostgreSQL takes a share of the CPU beside the workers: two fit 2 cores.
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, ...E2E, ...INT_ISOLATED],
          globalSetup,
          // A worker runs its files one after another in one process: the modules (drizzle, the
          // AWS SDK, PGlite's wasm) load once per worker, not once per file, and so does the PGlite
          // the files share (test/support/databases.ts). No file leaves state another reads.
          isolate: false,
        },
      },
      { extends: true, test: { name: 'int-isolated', include: INT_ISOLATED, globalSetup } },
      { extends: true, test: { name: 'e2e', include: E2E, globalSetup } },
    ],
  },
});
