import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Vitest runs `cores - 1` files at once: one on a 2-core machine, where most files wait on PostgreSQL,
    // Redis and local fake servers rather than on the CPU. Two at once took the suite from 541 s to 340 s
    // there; every test file has its own database and queue prefix, so files never share state.
    maxWorkers: 2,
  },
});
