import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two test files at a time. Vitest's default is one worker less than the cores, which on a
    // 2-core machine (CI's, and ours) is one: the files ran one after another, and the suite used
    // 59% of one core, the rest waiting on PostgreSQL, Chromium, initdb and child processes.
    maxWorkers: 2,
  },
});
