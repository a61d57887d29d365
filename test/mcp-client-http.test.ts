// @troupe/mcp against the reference MCP server from npm over Streamable HTTP (loopback): a
// scripted agent calls its tools, gets a schema violation back as a tool error, and finishes its
// run when the server is killed mid-call. Also: resources and prompts.
import type { ChildProcess } from 'node:child_process';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  SimulatedClock,
  type Team,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { type McpClient, mcpTools } from '@troupe/mcp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { everythingHttp, kill } from './fixtures/mcp-servers/servers.js';

// Each test starts node child processes (servers, the CLI); on a busy 2-core machine that alone
// can take seconds, so the default 5 s per test is too tight.
const CHILD_PROCESS_TIMEOUT_MS = 30_000;

let server: { url: string; child: ChildProcess };
let client: McpClient | undefined;
let team: Team | undefined;
beforeEach(async () => {
  server = await everythingHttp();
}, CHILD_PROCESS_TIMEOUT_MS);
afterEach(async () => {
  await team?.close();
  await client?.close();
  await kill(server.child);
  team = undefined;
  client = undefined;
}, CHILD_PROCESS_TIMEOUT_MS);

function newTeam(): Team {
  const clock = new SimulatedClock();
  team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
  });
  return team;
}

describe('mcpTools over Streamable HTTP (server-everything)', {
  timeout: CHILD_PROCESS_TIMEOUT_MS,
}, () => {
  it('a scripted agent calls tools; a schema violation comes back as a tool error', async () => {
    client = await mcpTools({ url: server.url });
    expect(client.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    const model = scriptedModel({
      steps: [
        {
          toolCalls: [
            { name: 'get-sum', arguments: { a: 20, b: 22 } },
            { name: 'echo', arguments: { message: 42 } },
          ],
        },
        { text: 'done' },
      ],
    });
    const t = newTeam();
    await t.spawn(defineAgent({ name: 'a', instructions: '', model, tools: client.tools }), {
      name: 'a',
    });
    const result = await t.send('a', 'go');
    expect(result.status).toBe('completed');
    const [sum, echo] = model.requests[1]!.messages.filter((m) => m.role === 'tool');
    expect(sum).toMatchObject({ content: 'The sum of 20 and 22 is 42.' });
    expect(echo).toMatchObject({ isError: true });
    expect(echo!.content).toMatch(/Invalid arguments for tool "echo"[\s\S]*must be string/);
  });

  it('a server killed mid-call ends the call with a tool error, and the run completes', async () => {
    client = await mcpTools({ url: server.url });
    const model = scriptedModel({
      steps: [
        {
          toolCalls: [
            { name: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 } },
          ],
        },
        { toolCalls: [{ name: 'echo', arguments: { message: 'anyone?' } }] },
        { text: 'the server is gone' },
      ],
    });
    const t = newTeam();
    await t.spawn(defineAgent({ name: 'a', instructions: '', model, tools: client.tools }), {
      name: 'a',
    });
    t.on('tool.called', (e) => {
      if (e.tool === 'trigger-long-running-operation') void kill(server.child);
    });
    const result = await t.send('a', 'go');
    expect(result).toMatchObject({ status: 'completed', text: 'the server is gone' });
    const [call, retry] = model.requests[2]!.messages.filter((m) => m.role === 'tool');
    expect(call).toMatchObject({ isError: true });
    expect(call!.content).toMatch(
      /^TroupeError: MCP server "http:\/\/127\.0\.0\.1:\d+\/mcp" failed/,
    );
    // The next call tries to connect again, and says the server cannot be reached.
    expect(retry).toMatchObject({ isError: true });
    expect(retry!.content).toMatch(/could not connect to MCP server/);
  });

  it('lists resources and prompts, reads a resource and fills in a prompt', async () => {
    client = await mcpTools({ url: server.url });
    const resources = await client.resources();
    expect(resources.length).toBeGreaterThan(0);
    const doc = resources.find((r) => r.uri.endsWith('architecture.md'))!;
    const read = await client.readResource(doc.uri);
    expect(read.contents[0]).toMatchObject({ uri: doc.uri });
    const prompts = await client.prompts();
    expect(prompts.map((p) => p.name)).toContain('simple-prompt');
    const prompt = await client.getPrompt('simple-prompt');
    expect(prompt.messages.length).toBeGreaterThan(0);
  });

  it('resourceTools: an agent lists and reads resources through two tools', async () => {
    client = await mcpTools({ url: server.url, prefix: 'docs_', resourceTools: true });
    expect(client.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['docs_echo', 'docs_list_resources', 'docs_read_resource']),
    );
    const model = scriptedModel({
      steps: (_request, call) => {
        if (call.turn === 0) return { toolCalls: [{ name: 'docs_list_resources' }] };
        if (call.turn === 1) {
          const listed = JSON.parse(call.toolResults[0]!.content) as { uri: string }[];
          const uri = listed.find((r) => r.uri.endsWith('architecture.md'))!.uri;
          return { toolCalls: [{ name: 'docs_read_resource', arguments: { uri } }] };
        }
        return { text: call.toolResults[0]!.content.slice(0, 40) };
      },
    });
    const t = newTeam();
    await t.spawn(defineAgent({ name: 'a', instructions: '', model, tools: client.tools }), {
      name: 'a',
    });
    const result = await t.send('a', 'read the architecture notes');
    expect(result.status).toBe('completed');
    expect(result.text.length).toBeGreaterThan(0);
    expect(model.requests[2]!.messages.at(-1)).not.toMatchObject({ isError: true });
  });
});
