import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type BusBackend, invalidArgument, type SharedStateBackend, type Team } from '@troupe/core';
import { registerAgentTools, registerStateTools } from './internal/team-tools.js';

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
  registerAgentTools(server, team, bus);
  registerStateTools(server, state);
  return server;
}
