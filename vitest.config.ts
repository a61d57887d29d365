import { defineConfig } from 'vitest/config';

// One vitest process runs every workspace project. Workspace packages resolve to their
// TypeScript sources through the `@troupe/source` export condition, so tests never run against
// a stale build; code that must run in plain Node (pool workers, child processes) uses `dist`.
export default defineConfig({
  resolve: { conditions: ['@troupe/source'] },
  ssr: { resolve: { conditions: ['@troupe/source'] } },
  test: {
    projects: ['packages/*', 'test'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
