import { defineProject } from 'vitest/config';

export default defineProject({
  // Workspace packages resolve to their sources (the root config's conditions do not reach
  // into projects for bare imports of the package itself).
  resolve: { conditions: ['@troupe/source'] },
  ssr: { resolve: { conditions: ['@troupe/source'] } },
  test: { name: 'mcp', include: ['test/**/*.test.ts'] },
});
