import * as core from '@troupe/core';
import * as testing from '@troupe/core/testing';
import { expect, it } from 'vitest';
import { docExample, runExample, statedOutput } from './helpers/doc-example.js';

/**
 * Runs the ```ts example block of docs/distributed.md and checks every `console.log` against
 * the `// expected` comment on its line.
 */
it('runs the example in docs/distributed.md with the documented output', async () => {
  const code = docExample('distributed.md');
  expect(code).toBeDefined();
  const printed = await runExample(code!, {
    '@troupe/core': core,
    '@troupe/core/testing': testing,
  });
  expect(printed).toEqual(statedOutput(code!));
});
