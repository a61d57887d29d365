import { defineProject } from 'vitest/config';

export default defineProject({
  // Workspace packages resolve to their TypeScript sources; the root config's conditions do
  // not reach into projects for bare imports of workspace packages.
  resolve: { conditions: ['@troupe/source'] },
  ssr: { resolve: { conditions: ['@troupe/source'] } },
  test: { name: 'core', include: ['test/**/*.test.ts'] },
});
