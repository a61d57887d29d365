import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'acceptance', include: ['**/*.test.ts'], exclude: ['node_modules/**', 'fixtures/**'] },
});
