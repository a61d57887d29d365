import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { contextExample } from '../examples/context.js';

describe('the context example', () => {
  it('runs: every call within the budget, summaries written, the whole history kept', async () => {
    expect(await contextExample()).toEqual([
      'every call within the budget: true',
      'summaries written: 4',
      'history kept: 126 messages',
      'model calls: 65, each counted in usage and cost: true',
    ]);
  });

  it('is shown in packages/core/docs/context.md exactly as it runs, with what it prints', async () => {
    const doc = await readFile(
      new URL('../packages/core/docs/context.md', import.meta.url),
      'utf8',
    );
    const example = await readFile(new URL('../examples/context.ts', import.meta.url), 'utf8');
    expect(doc.match(/```ts\n(\/\/ Context policy[\s\S]*?)```/)?.[1]).toBe(example);
    const printed = doc.match(/It prints:\n\n```\n([\s\S]*?)```/)?.[1];
    expect(printed).toBe(`${(await contextExample()).join('\n')}\n`);
  });
});
