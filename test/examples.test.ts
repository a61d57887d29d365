import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { quickstart } from '../examples/quickstart.js';

const root = fileURLToPath(new URL('..', import.meta.url));

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

  it('`npm run quickstart` runs on this Node: compiled by tsc, printing what the README shows', async () => {
    // The steps of the script after its build (npm test has built the packages): plain Node
    // then runs the compiled example against the packages' dist/, as a newcomer's shell would.
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.scripts.quickstart).toBe(
      'npm run build && tsc -p examples/tsconfig.json && node examples/dist/quickstart.js',
    );
    execFileSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'examples/tsconfig.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
    const printed = execFileSync(process.execPath, ['examples/dist/quickstart.js'], {
      cwd: root,
      encoding: 'utf8',
    });
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const shown = readme.match(/It prints:\n\n```\n([\s\S]*?)```/)?.[1];
    expect(shown, 'README.md shows the quickstart output after "It prints:"').toBeDefined();
    expect(printed).toBe(shown);
  }, 120_000);
});
