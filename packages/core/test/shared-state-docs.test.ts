import { readFileSync } from 'node:fs';
import { formatWithOptions } from 'node:util';
import * as core from '@troupe/core';
import { expect, it } from 'vitest';

/**
 * Runs the ```ts example block of docs/shared-state.md and checks every `console.log` against the
 * `// expected` comment on its line, so the documented example cannot rot.
 */
it('runs the example in docs/shared-state.md with the documented output', async () => {
  const doc = readFileSync(new URL('../docs/shared-state.md', import.meta.url), 'utf8');
  const code = /```ts example\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(code).toBeDefined();
  const expected = code!
    .split('\n')
    .filter((line) => line.includes('console.log('))
    .map((line) => line.slice(line.lastIndexOf('// ') + 3).replace(/ — .*$/, ''));
  const printed: string[] = [];
  const log = (...args: unknown[]) =>
    printed.push(formatWithOptions({ compact: true, breakLength: Infinity }, ...args));
  const body = code!.replace(/^import \{([^}]*)\} from '@troupe\/core';$/m, 'const {$1} = core;');
  const AsyncFunction = (async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('core', 'console', body)(core, { log });
  expect(printed).toEqual(expected);
});
