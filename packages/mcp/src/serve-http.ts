import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { invalidArgument } from '@troupe/core';

/** Hosts an HTTP MCP server may bind: it has no authentication, so only this machine. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Where {@link serveMcpHttp} listens.
 *
 * @example
 * ```ts
 * const where: McpHttpServeOptions = { port: 3001 }; // http://127.0.0.1:3001/mcp
 * ```
 */
export interface McpHttpServeOptions {
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** A loopback address: `127.0.0.1` (default), `::1` or `localhost`. */
  readonly host?: string;
}

/**
 * A running Streamable HTTP endpoint.
 *
 * @example
 * ```ts
 * console.error(`MCP endpoint: ${http.url}`);
 * await http.close();
 * ```
 */
export interface McpHttpEndpoint {
  /** The MCP endpoint, `http://<host>:<port>/mcp`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes every session. */
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/**
 * Serves MCP over Streamable HTTP at `/mcp` on a loopback address, one session per client
 * (each gets its own server from `newServer`, as one `McpServer` serves one connection). DNS
 * rebinding protection is on: requests must name this host and port.
 *
 * @example
 * ```ts
 * const http = await serveMcpHttp(() => createTeamMcpServer({ team, state, bus }), { port: 3001 });
 * ```
 */
export async function serveMcpHttp(
  newServer: () => McpServer,
  options: McpHttpServeOptions = {},
): Promise<McpHttpEndpoint> {
  const { port = 0, host = '127.0.0.1' } = options;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535))
    throw invalidArgument('options.port must be an integer from 0 to 65535', { port });
  if (!LOOPBACK.has(host))
    throw invalidArgument('options.host must be a loopback address (127.0.0.1, ::1, localhost)', {
      host,
    });
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let allowedHosts: string[] = [];

  const open = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const server = newServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
      enableDnsRebindingProtection: true,
      allowedHosts,
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };

  const http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/mcp') return reply(res, 404, 'Not found: the MCP endpoint is /mcp');
    const id = req.headers['mcp-session-id'];
    const transport = typeof id === 'string' ? sessions.get(id) : undefined;
    const handled =
      transport !== undefined
        ? transport.handleRequest(req, res)
        : id === undefined && req.method === 'POST'
          ? open(req, res)
          : Promise.resolve(reply(res, 404, 'Session not found'));
    handled.catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, error instanceof Error ? error.message : String(error));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const bound = (http.address() as AddressInfo).port;
  const authority = host === '::1' ? `[::1]:${bound}` : `${host}:${bound}`;
  allowedHosts = [`127.0.0.1:${bound}`, `localhost:${bound}`, `[::1]:${bound}`];
  return {
    url: `http://${authority}/mcp`,
    port: bound,
    close: async () => {
      const closing = [...sessions.values()].map((t) => t.close());
      sessions.clear();
      await Promise.allSettled(closing);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
