import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** A server started as a child process, spoken to over its stdin and stdout. */
export interface StdioTarget {
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly cwd?: string | undefined;
  readonly stderr?: 'inherit' | 'ignore' | undefined;
}

/** A server reached over Streamable HTTP. */
export interface HttpTarget {
  readonly url: string | URL;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** A fresh transport for one connection attempt (a transport cannot be started twice). */
export function createTransport(target: StdioTarget | HttpTarget): Transport {
  if ('command' in target) {
    return new StdioClientTransport({
      command: target.command,
      args: [...(target.args ?? [])],
      // The SDK adds a safe subset of this process's environment (PATH, HOME, ...) beneath it.
      ...(target.env === undefined ? {} : { env: { ...target.env } }),
      ...(target.cwd === undefined ? {} : { cwd: target.cwd }),
      stderr: target.stderr ?? 'inherit',
    });
  }
  const url = typeof target.url === 'string' ? new URL(target.url) : target.url;
  return new StreamableHTTPClientTransport(url, {
    ...(target.headers === undefined ? {} : { requestInit: { headers: { ...target.headers } } }),
  });
}

/** How the server is named in errors: the command, or the URL without its query. */
export function targetLabel(target: StdioTarget | HttpTarget): string {
  if ('command' in target) return [target.command, ...(target.args ?? [])].join(' ');
  const url = new URL(String(target.url));
  return `${url.origin}${url.pathname}`;
}
