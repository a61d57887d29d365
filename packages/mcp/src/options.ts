import { DEFAULT_TOOL_TIMEOUT_MS, invalidArgument } from '@troupe/core';
import { z } from 'zod';
import type { HttpTarget, StdioTarget } from './internal/transport.js';

/** Default bound on connecting (spawn or HTTP, then the MCP handshake), in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Options every server takes, whatever its transport.
 *
 * @example
 * ```ts
 * const common: McpCommonOptions = { prefix: 'files_', timeoutMs: 60_000, signal: controller.signal };
 * ```
 */
export interface McpCommonOptions {
  /** Prepended to every tool name the model sees (`files_` + `read` = `files_read`). */
  readonly prefix?: string;
  /** Per tool call, as a tool's `timeoutMs`: past it the call is cancelled on the server. Default 30 s. */
  readonly timeoutMs?: number;
  /** Bound on connecting and on listing tools, resources and prompts. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Closes the connection when aborted: tie it to whatever owns the team. */
  readonly signal?: AbortSignal;
  /**
   * Also offer the tools `<prefix>list_resources` and `<prefix>read_resource`, so agents can
   * browse and read the server's resources. Default false.
   */
  readonly resourceTools?: boolean;
}

/**
 * A server started as a child process and spoken to over stdio.
 *
 * @example
 * ```ts
 * const server: McpStdioOptions = { command: 'npx', args: ['-y', 'some-mcp-server'], env: { TOKEN } };
 * ```
 */
export interface McpStdioOptions extends McpCommonOptions {
  /** The program to run. */
  readonly command: string;
  /** Its arguments. */
  readonly args?: readonly string[];
  /** Its environment (added on top of PATH, HOME and the like; nothing else is inherited). */
  readonly env?: Readonly<Record<string, string>>;
  /** Its working directory. */
  readonly cwd?: string;
  /** Where the server's stderr goes. Default `'inherit'`. */
  readonly stderr?: 'inherit' | 'ignore';
}

/**
 * A server reached over Streamable HTTP.
 *
 * @example
 * ```ts
 * const server: McpHttpOptions = { url: 'http://127.0.0.1:3001/mcp', headers: { authorization: `Bearer ${key}` } };
 * ```
 */
export interface McpHttpOptions extends McpCommonOptions {
  /** The MCP endpoint. */
  readonly url: string | URL;
  /** Sent with every request (authorization and the like). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Where {@link mcpTools} connects: a command (stdio) or a URL (Streamable HTTP).
 *
 * @example
 * ```ts
 * const servers: McpServerOptions[] = [{ command: 'node', args: ['server.js'] }, { url: 'http://127.0.0.1:3001/mcp' }];
 * ```
 */
export type McpServerOptions = McpStdioOptions | McpHttpOptions;

const positive = z.number().positive().finite();
const common = {
  prefix: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{0,32}$/)
    .optional(),
  timeoutMs: positive.optional(),
  connectTimeoutMs: positive.optional(),
  signal: z.instanceof(AbortSignal).optional(),
  resourceTools: z.boolean().optional(),
};
const stdio = z.object({
  ...common,
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  stderr: z.enum(['inherit', 'ignore']).optional(),
});
const http = z.object({
  ...common,
  url: z.union([z.instanceof(URL), z.url({ protocol: /^https?$/ })]),
  headers: z.record(z.string(), z.string()).optional(),
});

/** Options once checked, with defaults filled in. */
export interface ResolvedOptions {
  readonly target: StdioTarget | HttpTarget;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly resourceTools: boolean;
}

/** Checks options once; a bad one is `ERR_INVALID_ARGUMENT` naming it. */
export function resolveOptions(options: McpServerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  const isStdio = 'command' in options;
  if (isStdio === 'url' in options)
    throw invalidArgument('options must have either command (stdio) or url (Streamable HTTP)');
  const parsed = (isStdio ? stdio : http).safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const option = issue?.path.join('.') || 'options';
    throw invalidArgument(`options.${option} is invalid: ${issue?.message ?? 'bad value'}`, {
      option,
    });
  }
  const o = parsed.data;
  const target: StdioTarget | HttpTarget =
    'command' in o
      ? { command: o.command, args: o.args, env: o.env, cwd: o.cwd, stderr: o.stderr }
      : { url: o.url, headers: o.headers };
  return {
    target,
    prefix: o.prefix ?? '',
    timeoutMs: o.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    signal: o.signal,
    resourceTools: o.resourceTools ?? false,
  };
}
