// The README's example is examples/mcp-tools.ts verbatim, and it runs: a scripted agent calls two
// tools of the reference MCP server from npm over stdio.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { mcpToolsExample } from '../examples/mcp-tools.js';

// The example starts a node child process; on a busy 2-core machine that can take seconds.
const CHILD_PROCESS_TIMEOUT_MS = 30_000;

describe('README', () => {
  it('shows examples/mcp-tools.ts exactly as it is run', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = await readFile(new URL('../examples/mcp-tools.ts', import.meta.url), 'utf8');
    const block = readme.match(/```ts\n(\/\/ MCP tools:[\s\S]*?)```/)?.[1];
    expect(block, 'README.md has a ```ts block starting with "// MCP tools:"').toBeDefined();
    expect(block).toBe(example);
  });

  it(
    'the example runs: the agent gets the server tools’ answers',
    async () => {
      expect(await mcpToolsExample()).toBe('The sum of 19 and 23 is 42. / Echo: hello from MCP');
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );
});
