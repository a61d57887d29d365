// Public API of @troupe/mcp. Named exports only; types with `export type`.

export type { McpClient, SkippedTool } from './mcp-client.js';
export { mcpTools } from './mcp-client.js';
export type {
  McpCommonOptions,
  McpHttpOptions,
  McpServerOptions,
  McpStdioOptions,
} from './options.js';
export { DEFAULT_CONNECT_TIMEOUT_MS } from './options.js';
