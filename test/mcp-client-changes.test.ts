// Tool-list changes are followed; bad options are refused; close() ends the connection.
import { join } from 'node:path';
import { type AnyTool, toolSpec } from '@troupe/core';
import { type McpClient, mcpTools } from '@troupe/mcp';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './fixtures/cli-common/cli.js';

// Each test starts node child processes (servers, the CLI); on a busy 2-core machine that alone
// can take seconds, so the default 5 s per test is too tight.
const CHILD_PROCESS_TIMEOUT_MS = 30_000;

const changing = {
  command: process.execPath,
  args: [join(repoRoot, 'test/fixtures/mcp-servers/changing-stdio.mjs')],
  stderr: 'ignore' as const,
};

let client: McpClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
}, CHILD_PROCESS_TIMEOUT_MS);

// What a tool's run gets from the tool runner; these tests call tools directly.
const context = (signal: AbortSignal) => ({
  agent: 'a',
  callId: 'c1',
  clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} },
  signal,
  context: {},
  afterEarlierCalls: async () => ({}),
});

function run(
  tool: AnyTool,
  input: Record<string, unknown>,
  signal = new AbortController().signal,
): Promise<unknown> {
  return Promise.resolve(tool.run(input, context(signal) as never));
}

function byName(tools: readonly AnyTool[], name: string): AnyTool {
  const tool = tools.find((t) => t.name === name);
  if (tool === undefined) throw new Error(`no tool ${name}`);
  return tool;
}

describe('mcpTools: tool-list changes', { timeout: CHILD_PROCESS_TIMEOUT_MS }, () => {
  it('follows notifications/tools/list_changed: new tools appear, removed ones go', async () => {
    client = await mcpTools(changing);
    expect(client.tools.map((t) => t.name)).toEqual(['grow', 'shrink', 'block', 'cancellations']);
    const grow = byName(client.tools, 'grow');
    const lists: string[][] = [];
    const grown = new Promise<readonly AnyTool[]>((resolve) => {
      const off = client!.onToolsChanged((tools) => {
        lists.push(tools.map((t) => t.name));
        off();
        resolve(tools);
      });
    });
    await run(grow, {});
    const tools = await grown;
    expect(lists).toEqual([['grow', 'shrink', 'block', 'cancellations', 'extra']]);
    // Unchanged tools keep their objects (and so their cached provider specs).
    expect(byName(tools, 'grow')).toBe(grow);
    const extra = byName(tools, 'extra');
    expect(toolSpec(extra).parameters).toMatchObject({ required: ['word'] });
    expect(await run(extra, { word: 'hey' })).toBe('hey hey');

    const shrunk = new Promise<readonly AnyTool[]>((resolve) => client!.onToolsChanged(resolve));
    await run(byName(tools, 'shrink'), {});
    expect((await shrunk).map((t) => t.name)).toEqual(['grow', 'shrink', 'block', 'cancellations']);
    // An agent still holding the removed tool gets an error, not a call to a tool that is gone.
    await expect(run(extra, { word: 'hey' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('an aborted call (timeout, interrupt, cancel) is cancelled on the server', async () => {
    client = await mcpTools(changing);
    const controller = new AbortController();
    const blocked = run(byName(client.tools, 'block'), {}, controller.signal);
    // Abort once the server has the request (its answer to a later request proves it).
    await run(byName(client.tools, 'cancellations'), {});
    controller.abort(new Error('interrupted'));
    await expect(blocked).rejects.toThrow('interrupted');
    // notifications/cancelled reached the server: its handler saw the abort.
    await expect.poll(() => run(byName(client!.tools, 'cancellations'), {})).toBe('1');
  });

  it('refresh() lists again on demand', async () => {
    client = await mcpTools(changing);
    const before = client.tools;
    expect(await client.refresh()).toBe(before);
  });
});

describe('mcpTools: options and lifetime', { timeout: CHILD_PROCESS_TIMEOUT_MS }, () => {
  it.each([
    [{}, 'command'],
    [{ command: '' }, 'command'],
    [{ command: 'x', url: 'http://127.0.0.1:1/mcp' }, 'command'],
    [{ url: 'ftp://127.0.0.1/mcp' }, 'url'],
    [{ command: 'x', timeoutMs: 0 }, 'timeoutMs'],
    [{ command: 'x', prefix: 'has space' }, 'prefix'],
    [{ command: 'x', args: 'not-an-array' }, 'args'],
  ])('refuses %j naming the option', async (bad, option) => {
    await expect(mcpTools(bad as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining(option),
    });
  });

  it('a server that cannot be started is ERR_BACKEND_UNAVAILABLE', async () => {
    await expect(
      mcpTools({ command: join(repoRoot, 'no-such-server'), stderr: 'ignore' }),
    ).rejects.toMatchObject({ code: 'ERR_BACKEND_UNAVAILABLE' });
  });

  it('close() (or aborting signal) ends the connection; later calls are ERR_CLOSED', async () => {
    const controller = new AbortController();
    client = await mcpTools({ ...changing, signal: controller.signal });
    const grow = byName(client.tools, 'grow');
    controller.abort();
    expect(client.closed).toBe(true);
    await client.close();
    await expect(run(grow, {})).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(client.resources()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });
});
