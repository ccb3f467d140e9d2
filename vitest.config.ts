import { defineConfig } from 'vitest/config';

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
// The run's PostgreSQL and the migrated template (every project with a database names it; it starts once).
const globalSetup = ['test/support/global-setup.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The run's one PostgreSQL takes a share of the CPU beside the workers: two fit 2 cores.
    maxWorkers: 2,
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
