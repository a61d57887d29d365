import type { Readable, Writable } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

/**
 * Speaks MCP for `server` on a pair of streams (by default this process's stdin and stdout)
 * and resolves when the client goes away: the input ends or the connection closes. Nothing
 * else may write to the output stream meanwhile; log to stderr.
 *
 * @example
 * ```ts
 * await serveMcpStdio(createTeamMcpServer({ team, state, bus }));
 * await team.close();
 * ```
 */
export async function serveMcpStdio(
  server: McpServer,
  streams: { readonly input?: Readable; readonly output?: Writable } = {},
): Promise<void> {
  const input = streams.input ?? process.stdin;
  const transport = new StdioServerTransport(input, streams.output ?? process.stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
  });
  // The SDK's transport does not watch for the end of its input: the client leaving ends it.
  const end = (): void => {
    void server.close();
  };
  input.once('end', end).once('close', end);
  try {
    await server.connect(transport);
    await closed;
  } finally {
    input.off('end', end).off('close', end);
  }
}
