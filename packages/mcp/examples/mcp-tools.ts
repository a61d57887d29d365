// MCP tools: an agent uses the tools of an MCP server (here the "everything" reference server,
// started over stdio). A scripted model stands in for a real one so this runs offline.
import { createRequire } from 'node:module';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  systemClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { mcpTools } from '@troupe/mcp';

const server = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);

export async function mcpToolsExample(): Promise<string> {
  const clock = systemClock;
  // Connect and list the server's tools: each becomes a Troupe tool with the server's schema.
  const everything = await mcpTools({
    command: process.execPath,
    args: [server, 'stdio'],
    stderr: 'ignore',
    timeoutMs: 10_000,
  });
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
  });
  try {
    // The "model": first it calls two of the server's tools, then it answers with their results.
    const model = scriptedModel({
      steps: (_request, call) =>
        call.turn === 0
          ? {
              toolCalls: [
                { name: 'get-sum', arguments: { a: 19, b: 23 } },
                { name: 'echo', arguments: { message: 'hello from MCP' } },
              ],
            }
          : { text: call.toolResults.map((result) => result.content).join(' / ') },
    });
    await team.spawn(
      defineAgent({
        name: 'helper',
        instructions: 'Use the tools you have.',
        model,
        tools: everything.tools,
      }),
      { name: 'helper' },
    );
    const result = await team.send('helper', 'Add 19 and 23, then say hello.');
    return result.text; // "The sum of 19 and 23 is 42. / Echo: hello from MCP"
  } finally {
    // The connection lives as long as the team: close both (or pass `signal` to mcpTools).
    await team.close();
    await everything.close();
  }
}
