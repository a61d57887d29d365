// The tools a team MCP server registers, one function per group.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type BusBackend, inboxTopic, type SharedStateBackend, type Team } from '@troupe/core';
import { z } from 'zod';

function json(value: unknown): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value) }],
    structuredContent: { result: value },
  };
}

function failure(error: unknown): CallToolResult {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? `${String(error.code)} ` : '';
  const message = error instanceof Error ? error.message : String(error);
  return { content: [{ type: 'text', text: `${code}${message}` }], isError: true };
}

async function attempt(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    return failure(error);
  }
}

const agentName = z.string().min(1).describe('The agent, by name (see list_agents)');

/** `list_agents`, `send_task` and `post_message`: what reaches the team's agents. */
export function registerAgentTools(server: McpServer, team: Team, bus: BusBackend): void {
  server.registerTool(
    'list_agents',
    {
      description: "The team's agents: name, role, state, restarts and usage.",
      annotations: { readOnlyHint: true },
    },
    async () => json(team.agents()),
  );

  // Today a task goes through team.send, which resolves with the run's result. When the team
  // gains run(name, message, { until }) and post(name, body, { from }), send_task and
  // post_message move to them (a task then survives a busy agent as a queued message).
  server.registerTool(
    'send_task',
    {
      description:
        'Gives an agent a task and waits for its answer: the run status, the answer text, turns and usage.',
      inputSchema: { agent: agentName, message: z.string().min(1).describe('The task') },
    },
    async ({ agent, message }) =>
      attempt(async () => {
        if (team.agent(agent) === undefined) {
          const names = team.agents().map((a) => a.name);
          return failure(`no agent named "${agent}" (agents: ${names.join(', ') || 'none'})`);
        }
        const result = await team.send(agent, message);
        const answer = {
          runId: result.runId,
          agent: result.agent,
          status: result.status,
          text: result.text,
          turns: result.turns,
          usage: result.usage,
          ...(result.error === undefined ? {} : { error: result.error }),
        };
        return {
          content: [{ type: 'text', text: result.text }],
          structuredContent: answer,
          isError: result.status !== 'completed',
        };
      }),
  );

  server.registerTool(
    'post_message',
    {
      description: "Posts a message to an agent's mailbox (inbox:<agent>); answers with its seq.",
      inputSchema: {
        agent: agentName,
        body: z.string().min(1).describe('The message'),
        from: z.string().min(1).optional().describe('Who it is from. Default "mcp"'),
      },
    },
    async ({ agent, body, from }) =>
      attempt(async () => {
        if (team.agent(agent) === undefined) return failure(`no agent named "${agent}"`);
        const { seq } = await bus.post(inboxTopic(agent), { from: from ?? 'mcp', body });
        return json({ topic: inboxTopic(agent), seq });
      }),
  );
}

/** `list_claims` and `list_discoveries`: what the team's shared state holds. */
export function registerStateTools(server: McpServer, state: SharedStateBackend): void {
  server.registerTool(
    'list_claims',
    {
      description: 'Live claims on shared resources, in grant order; filter by resource or agent.',
      inputSchema: { resource: z.string().optional(), agent: z.string().optional() },
      annotations: { readOnlyHint: true },
    },
    async ({ resource, agent }) =>
      attempt(async () =>
        json(
          await state.claims({
            ...(resource === undefined ? {} : { resource }),
            ...(agent === undefined ? {} : { agent }),
          }),
        ),
      ),
  );

  server.registerTool(
    'list_discoveries',
    {
      description:
        'Discoveries the agents shared, in order; filter by topic or agent, page with afterSeq and limit.',
      inputSchema: {
        topic: z.string().optional(),
        agent: z.string().optional(),
        afterSeq: z.number().int().nonnegative().optional(),
        limit: z.number().int().positive().max(1_000).optional(),
      },
      annotations: { readOnlyHint: true },
    },
    async ({ topic, agent, afterSeq, limit }) =>
      attempt(async () =>
        json(
          await state.discoveries({
            ...(topic === undefined ? {} : { topic }),
            ...(agent === undefined ? {} : { agent }),
            ...(afterSeq === undefined ? {} : { afterSeq }),
            limit: limit ?? 100,
          }),
        ),
      ),
  );
}
