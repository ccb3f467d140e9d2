import { defineConfig } from 'vitest/config';

/**
 * Three tiers, each runnable alone (`npm run test:unit`, `test:int`, `test:e2e`); `npm test` runs
 * them all in one pool.
 * - unit: no database, no process, no socket of our own;
 * - int: stores, the API and the wiring over real databases (the run's one PostgreSQL, PGlite, the
 *   Neon driver through a local relay, fauxqs), and adapters against local servers;
 * - e2e: whole processes: `npm start` (started, killed), the simulated deploy, a browser, a
 *   database server stopped under load.
 */
const UNIT = [
  'test/core/**/*.test.ts',
  'test/db/config.test.ts',
  'test/adapters/queue-producer.test.ts',
  'test/sim/infra.test.ts',
];
const E2E = [
  'test/local/api-local.test.ts',
  'test/local/crash-recovery.test.ts',
  'test/sim/recovery.test.ts',
  'test/sim/runtime.test.ts',
  'test/sim/sim.test.ts',
  'test/api/console-browser.test.ts',
  'test/api/database-faults.test.ts',
];
// One PostgreSQL cluster for the run and the migrated template (both projects name it; it starts once).
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
          exclude: [...UNIT, ...E2E],
          globalSetup,
          // A worker runs its files one after another in one process: the modules (drizzle, the
          // AWS SDK, PGlite's wasm) load once per worker, not once per file, and so does the PGlite
          // the files share (test/support/databases.ts). No file leaves state another reads.
          isolate: false,
        },
      },
      { extends: true, test: { name: 'e2e', include: E2E, globalSetup } },
    ],
  },
});
