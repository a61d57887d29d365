// Public API of @troupe/mcp. Named exports only; types with `export type`.

export type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
export type {
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
} from '@modelcontextprotocol/sdk/types.js';
export { mcpTools } from './mcp-client.js';
export type {
  McpCommonOptions,
  McpHttpOptions,
  McpServerOptions,
  McpStdioOptions,
} from './options.js';
export { DEFAULT_CONNECT_TIMEOUT_MS } from './options.js';
export type { McpHttpEndpoint, McpHttpServeOptions } from './serve-http.js';
export { serveMcpHttp } from './serve-http.js';
export { serveMcpStdio } from './serve-stdio.js';
export type { TeamMcpServerOptions } from './team-server.js';
export { createTeamMcpServer, TEAM_SERVER_TOOLS } from './team-server.js';
export type { McpClient, SkippedTool } from './types.js';
