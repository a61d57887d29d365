import * as core from '@troupe/core';
import * as testing from '@troupe/core/testing';
import { expect, it } from 'vitest';
import * as zod from 'zod';
import { docExample, runExample, statedOutput } from './helpers/doc-example.js';

/**
 * Runs the ```ts example block of docs/agents.md and checks every `console.log` against the
 * `// expected` comment on its line, so the documented example cannot rot.
 */
it('runs the example in docs/agents.md with the documented output', async () => {
  const code = docExample('agents.md');
  expect(code).toBeDefined();
  const printed = await runExample(code!, {
    '@troupe/core': core,
    '@troupe/core/testing': testing,
    zod,
  });
  expect(printed).toEqual(statedOutput(code!));
});
