import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file that needs a real server starts its own cluster; two at a time fits 2 cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
