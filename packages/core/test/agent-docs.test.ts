import { readFileSync } from 'node:fs';
import { formatWithOptions } from 'node:util';
import * as core from '@troupe/core';
import * as testing from '@troupe/core/testing';
import { expect, it } from 'vitest';
import * as zod from 'zod';

/**
 * Runs the ```ts example block of docs/agents.md and checks every `console.log` against the
 * `// expected` comment on its line, so the documented example cannot rot.
 */
it('runs the example in docs/agents.md with the documented output', async () => {
  const doc = readFileSync(new URL('../docs/agents.md', import.meta.url), 'utf8');
  const code = /```ts example\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(code).toBeDefined();
  const expected = code!
    .split('\n')
    .filter((line) => line.includes('console.log('))
    .map((line) => line.slice(line.lastIndexOf('// ') + 3).replace(/ — .*$/, ''));
  const printed: string[] = [];
  const log = (...args: unknown[]) =>
    printed.push(formatWithOptions({ compact: true, breakLength: Infinity }, ...args));
  const body = code!
    .replace(/^import \{([^}]*)\} from '@troupe\/core';$/m, 'const {$1} = core;')
    .replace(/^import \{([^}]*)\} from '@troupe\/core\/testing';$/m, 'const {$1} = testing;')
    .replace(/^import \{([^}]*)\} from 'zod';$/m, 'const {$1} = zod;');
  const AsyncFunction = (async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('core', 'testing', 'zod', 'console', body)(core, testing, zod, { log });
  expect(printed).toEqual(expected);
});
