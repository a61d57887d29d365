import * as core from '@troupe/core';
import { expect, it } from 'vitest';
import { docExample, runExample } from './helpers/doc-example.js';

// Runs the example of docs/limiter.md as written, so the page cannot drift from the code.

it('runs the limiter docs example and prints what its comments say', async () => {
  const example = docExample('limiter.md', /## Example\s+```ts\n([\s\S]*?)```/);
  expect(example).toBeDefined();
  const printed = await runExample(example ?? '', { '@troupe/core': core }, { raw: true });
  // Each `console.log(x); // value` line of the page states what it prints.
  const stated = [...(example ?? '').matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) =>
    new Function(`return (${m[1]});`)(),
  );
  expect(printed).toEqual(stated);
  expect(printed).toHaveLength(3);
});
