import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { quickstart } from '../examples/quickstart.js';

describe('examples', () => {
  it('the quickstart runs: one claim wins, the overlap conflicts, both agents finish', async () => {
    const log = await quickstart();
    expect(log).toEqual([
      expect.stringMatching(/ms ada claim\.granted src\/auth\.ts$/),
      expect.stringMatching(/ms grace claim\.conflicted src\/auth\.ts$/),
      expect.stringMatching(/ms ada discovery\.shared auth$/),
      expect.stringMatching(/ms ada message\.posted /),
      'ada: completed — Refactored src/auth.ts lines 1-40.',
      'grace: completed — Reviewed src/auth.ts.',
    ]);
  });

  it('the README shows the quickstart exactly as it is run', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = await readFile(new URL('../examples/quickstart.ts', import.meta.url), 'utf8');
    const block = readme.match(/```ts\n(\/\/ Quickstart[\s\S]*?)```/)?.[1];
    expect(block, 'README.md has a ```ts block starting with "// Quickstart"').toBeDefined();
    expect(block).toBe(example);
  });
});
