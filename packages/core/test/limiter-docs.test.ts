import { readFileSync } from 'node:fs';
import * as core from '@troupe/core';
import { expect, it } from 'vitest';

// Runs the example of docs/limiter.md as written, so the page cannot drift from the code.
// The example is plain JavaScript apart from its import, which is rebound to the module here.

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<void>;

it('runs the limiter docs example and prints what its comments say', async () => {
  const page = readFileSync(new URL('../docs/limiter.md', import.meta.url), 'utf8');
  const example = /## Example\s+```ts\n([\s\S]*?)```/.exec(page)?.[1];
  expect(example).toBeDefined();
  const body = (example ?? '').replace(
    /import \{([^}]+)\} from '@troupe\/core';/,
    'const {$1} = core;',
  );
  const printed: unknown[] = [];
  await new AsyncFunction('core', 'console', body)(core, { log: (v: unknown) => printed.push(v) });
  // Each `console.log(x); // value` line of the page states what it prints.
  const stated = [...(example ?? '').matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) =>
    new Function(`return (${m[1]});`)(),
  );
  expect(printed).toEqual(stated);
  expect(printed).toHaveLength(3);
});
