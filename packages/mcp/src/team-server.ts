import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  type BusBackend,
  inboxTopic,
  invalidArgument,
  type SharedStateBackend,
  type Team,
} from '@troupe/core';
import { z } from 'zod';

/**
 * What {@link createTeamMcpServer} serves: a team and the services it was made with (the
 * team's claims, discoveries and mailboxes live there).
 *
 * @example
 * ```ts
 * const options: TeamMcpServerOptions = { team, state, bus, name: 'reviewers' };
 * ```
 */
export interface TeamMcpServerOptions {
  readonly team: Team;
  /** The shared state the team was created with: source of `list_claims` and `list_discoveries`. */
  readonly state: SharedStateBackend;
  /** The bus the team was created with: `post_message` writes to its agents' mailboxes. */
  readonly bus: BusBackend;
  /** The server's name in the MCP handshake. Default `troupe`. */
  readonly name?: string;
  /** The server's version in the handshake. Default `0.1.0`. */
  readonly version?: string;
}

/** The names of the tools a team server offers. */
export const TEAM_SERVER_TOOLS = [
  'list_agents',
  'send_task',
  'post_message',
  'list_claims',
  'list_discoveries',
] as const;

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

/**
 * An MCP server (the official SDK's `McpServer`) that lets any MCP client drive a team:
 *
 * - `list_agents`: name, role, state, restarts and usage of each agent;
 * - `send_task` `{ agent, message }`: sends the message and answers with the run's result
 *   (status, answer text, turns, usage) once the run ends;
 * - `post_message` `{ agent, body, from? }`: posts to the agent's mailbox (`inbox:<agent>`);
 * - `list_claims` `{ resource?, agent? }` and `list_discoveries` `{ topic?, agent?, afterSeq?, limit? }`.
 *
 * Connect it to any server transport. One `McpServer` serves one connection: make one per
 * session (the team is shared). `troupe mcp <team module>` does this over stdio or HTTP.
 *
 * @example
 * ```ts
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
 * import { createTeamMcpServer } from '@troupe/mcp';
 *
 * const server = createTeamMcpServer({ team, state, bus });
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function createTeamMcpServer(options: TeamMcpServerOptions): McpServer {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  const { team, state, bus } = options;
  if (typeof team?.send !== 'function') throw invalidArgument('options.team must be a Team');
  if (typeof state?.claims !== 'function')
    throw invalidArgument('options.state must be a shared state backend');
  if (typeof bus?.post !== 'function') throw invalidArgument('options.bus must be a bus backend');
  const server = new McpServer({
    name: options.name ?? 'troupe',
    version: options.version ?? '0.1.0',
  });
  const agentName = z.string().min(1).describe('The agent, by name (see list_agents)');

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

  return server;
}
