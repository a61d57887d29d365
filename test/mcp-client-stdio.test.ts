// @troupe/mcp against a real MCP server from npm (@modelcontextprotocol/server-everything) over
// stdio: a scripted agent lists and calls its tools, gets schema violations back as tool errors,
// and survives the server hanging and dying mid-call.
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  SimulatedClock,
  type Team,
  toolSpec,
} from '@troupe/core';
import { type ScriptedStep, scriptedModel } from '@troupe/core/testing';
import { type McpClient, mcpTools } from '@troupe/mcp';
import { afterEach, describe, expect, it } from 'vitest';
import { everythingStdio } from './fixtures/mcp-servers/servers.js';

// Each test starts node child processes (servers, the CLI); on a busy 2-core machine that alone
// can take seconds, so the default 5 s per test is too tight.
const CHILD_PROCESS_TIMEOUT_MS = 30_000;

let client: McpClient | undefined;
let team: Team | undefined;
afterEach(async () => {
  await team?.close();
  await client?.close();
  team = undefined;
  client = undefined;
}, CHILD_PROCESS_TIMEOUT_MS);

function newTeam(clock = new SimulatedClock()): Team {
  team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
  });
  return team;
}

function toolResults(model: ReturnType<typeof scriptedModel>) {
  const last = model.requests.at(-1)!;
  return last.messages.filter((m) => m.role === 'tool');
}

describe('mcpTools over stdio (server-everything)', { timeout: CHILD_PROCESS_TIMEOUT_MS }, () => {
  it('offers the server tools with their JSON Schemas as the server wrote them', async () => {
    client = await mcpTools({ ...everythingStdio(), stderr: 'ignore' });
    const names = client.tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation']),
    );
    expect(client.server?.name).toBe('mcp-servers/everything');
    const sum = client.tools.find((t) => t.name === 'get-sum')!;
    expect(sum.description).toBe('Returns the sum of two numbers');
    expect(toolSpec(sum).parameters).toEqual({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        a: { type: 'number', description: 'First number' },
        b: { type: 'number', description: 'Second number' },
      },
      required: ['a', 'b'],
    });
  });

  it('a scripted agent calls tools; a schema violation comes back as a tool error', async () => {
    client = await mcpTools({ ...everythingStdio(), stderr: 'ignore' });
    const steps: ScriptedStep[] = [
      {
        toolCalls: [
          { name: 'get-sum', arguments: { a: 2, b: 3 } },
          { name: 'get-sum', arguments: { a: 'two', c: 1 } },
          { name: 'echo', arguments: { message: 'hello' } },
        ],
      },
      { text: 'done' },
    ];
    const model = scriptedModel({ steps });
    const t = newTeam();
    await t.spawn(
      defineAgent({ name: 'calc', instructions: 'Use the tools.', model, tools: client.tools }),
      { name: 'calc' },
    );
    const result = await t.send('calc', 'add 2 and 3');
    expect(result.status).toBe('completed');
    // The model was offered the server's tools with their schemas.
    const offered = model.requests[0]!.tools.find((t) => t.name === 'get-sum');
    expect(offered?.parameters).toMatchObject({ required: ['a', 'b'] });
    const [ok, bad, echo] = toolResults(model);
    expect(ok).toMatchObject({ content: 'The sum of 2 and 3 is 5.' });
    expect(ok!.role === 'tool' && ok!.isError).toBeFalsy();
    expect(bad).toMatchObject({ isError: true });
    expect(bad!.content).toContain('Invalid arguments for tool "get-sum"');
    expect(bad!.content).toMatch(/must be number[\s\S]*→ at a/);
    expect(bad!.content).toMatch(/must have required property 'b'/);
    expect(echo).toMatchObject({ content: 'Echo: hello' });
  });

  it('a call past its timeout is cancelled and becomes a tool error; the connection stays', async () => {
    const server = everythingStdio();
    client = await mcpTools({ ...server, stderr: 'ignore', timeoutMs: 2_000 });
    const pid = server.pid();
    const clock = new SimulatedClock();
    const model = scriptedModel({
      steps: [
        {
          toolCalls: [
            { name: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 } },
          ],
        },
        { toolCalls: [{ name: 'echo', arguments: { message: 'still here' } }] },
        { text: 'done' },
      ],
    });
    const t = newTeam(clock);
    await t.spawn(defineAgent({ name: 'a', instructions: '', model, tools: client.tools }), {
      name: 'a',
    });
    // The team's clock decides the timeout: move it past 2 s once the call is under way.
    t.on('tool.called', (e) => {
      if (e.tool === 'trigger-long-running-operation') setImmediate(() => clock.advance(2_000));
    });
    const result = await t.send('a', 'go');
    expect(result.status).toBe('completed');
    const results = model.requests[2]!.messages.filter((m) => m.role === 'tool');
    expect(results[0]).toMatchObject({ isError: true });
    expect(results[0]!.content).toMatch(/timed out after 2000 ms/);
    expect(results[1]).toMatchObject({ content: 'Echo: still here' });
    expect(server.pid()).toBe(pid);
  });

  it('a server killed mid-call is a tool error; the next call starts it again', async () => {
    const server = everythingStdio();
    client = await mcpTools({ ...server, stderr: 'ignore' });
    const first = server.pid();
    const model = scriptedModel({
      steps: [
        {
          toolCalls: [
            { name: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 } },
          ],
        },
        { toolCalls: [{ name: 'echo', arguments: { message: 'again' } }] },
        { text: 'done' },
      ],
    });
    const t = newTeam();
    await t.spawn(defineAgent({ name: 'a', instructions: '', model, tools: client.tools }), {
      name: 'a',
    });
    t.on('tool.called', (e) => {
      if (e.tool === 'trigger-long-running-operation') process.kill(first, 'SIGKILL');
    });
    const result = await t.send('a', 'go');
    expect(result.status).toBe('completed');
    const results = model.requests[2]!.messages.filter((m) => m.role === 'tool');
    expect(results[0]).toMatchObject({ isError: true });
    expect(results[0]!.content).toMatch(/closed the connection/);
    expect(results[1]).toMatchObject({ content: 'Echo: again' });
    expect(server.pid()).not.toBe(first);
  });
});
