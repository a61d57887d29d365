import * as core from '@troupe/core';
import { expect, it } from 'vitest';
import { docExample, runExample, statedOutput } from './helpers/doc-example.js';

/**
 * Runs the ```ts example block of docs/updates.md and checks every `console.log` against the
 * `// expected` comment on its line, so the documented example cannot rot.
 */
it('runs the example in docs/updates.md with the documented output', async () => {
  const code = docExample('updates.md');
  expect(code).toBeDefined();
  const printed = await runExample(code!, { '@troupe/core': core });
  expect(printed).toEqual(statedOutput(code!));
});
