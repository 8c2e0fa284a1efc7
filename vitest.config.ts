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
    // A worker runs its files in one module graph instead of a fresh one per file: the SQL
    // parser's WebAssembly, the YAML reader and the templates load once per worker, not 44 times
    // (20 in-process files: 43 s of CPU isolated, 27 s not). The tests share no state that needs
    // it: none mocks a module or changes process.env or the working folder; each works in a
    // temporary folder of its own and restores what it spies on.
    isolate: false,
  },
});
