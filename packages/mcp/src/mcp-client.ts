import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  type CallToolResult,
  ErrorCode,
  type GetPromptResult,
  type Implementation,
  McpError,
  type Tool as McpTool,
  type Prompt,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import {
  type AnyTool,
  abortedError,
  defineJsonTool,
  type JsonToolArguments,
  type ToolContext,
  TroupeError,
} from '@troupe/core';
import { messageOf, raceAbort } from './internal/abort.js';
import { listAll } from './internal/paging.js';
import { resourceTools } from './internal/resource-tools.js';
import { buildToolList, type ListedTool } from './internal/tool-list.js';
import { resultValue } from './internal/tool-result.js';
import { createTransport, targetLabel } from './internal/transport.js';
import { SchemaCompiler } from './internal/validator.js';
import { type McpServerOptions, type ResolvedOptions, resolveOptions } from './options.js';
import type { McpClient, SkippedTool } from './types.js';

const CLIENT_INFO = { name: 'troupe', version: '0.1.0' } as const;

/**
 * Connects to an MCP server over stdio (`command`) or Streamable HTTP (`url`) and returns its
 * tools as Troupe tools. Each tool's JSON Schema goes to providers as the server wrote it; the
 * model's arguments are checked against it (ajv, compiled once per tool) and a violation is an
 * error result the model sees. Calls are bounded by `timeoutMs` and cancelled on the server
 * when the call is aborted (timeout, interrupt, cancel); a server that dies mid-call is an
 * error result, and the next call reconnects (a stdio server is started again).
 *
 * Rejects with `ERR_INVALID_ARGUMENT` for bad options and `ERR_BACKEND_UNAVAILABLE` when the
 * server cannot be reached within `connectTimeoutMs`.
 *
 * @example
 * ```ts
 * import { mcpTools } from '@troupe/mcp';
 *
 * const everything = await mcpTools({ command: 'npx', args: ['@modelcontextprotocol/server-everything'] });
 * const agent = defineAgent({ name: 'helper', instructions: 'Use the tools.', model, tools: everything.tools });
 * // ...
 * await everything.close();
 * ```
 */
export async function mcpTools(options: McpServerOptions): Promise<McpClient> {
  const resolved = resolveOptions(options);
  if (resolved.signal?.aborted) throw abortedError(resolved.signal, 'mcpTools');
  const client = new McpConnection(resolved);
  try {
    await client.connection();
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

class McpConnection implements McpClient {
  readonly #options: ResolvedOptions;
  readonly #label: string;
  readonly #extra: readonly AnyTool[];
  #client: Client | undefined;
  #opening: Promise<Client> | undefined;
  #closing: Promise<void> | undefined;
  #entries: ReadonlyMap<string, ListedTool> = new Map();
  #offered = new Set<string>();
  #tools: readonly AnyTool[] = Object.freeze([]);
  #skipped: readonly SkippedTool[] = Object.freeze([]);
  #server: Implementation | undefined;
  #listeners = new Set<(tools: readonly AnyTool[]) => void>();
  /** Listings can overlap (a change notification during a refresh): only the latest applies. */
  #listing = 0;
  readonly #onAbort = (): void => {
    void this.close();
  };

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#label = targetLabel(options.target);
    this.#extra = options.resourceTools ? resourceTools(this, options) : [];
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get tools(): readonly AnyTool[] {
    return this.#tools;
  }
  get skipped(): readonly SkippedTool[] {
    return this.#skipped;
  }
  get server(): Implementation | undefined {
    return this.#server;
  }
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  onToolsChanged(listener: (tools: readonly AnyTool[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async refresh(): Promise<readonly AnyTool[]> {
    await this.#listTools(await this.connection());
    return this.#tools;
  }

  async resources(signal?: AbortSignal): Promise<Resource[]> {
    const client = await this.connection(signal);
    if (client.getServerCapabilities()?.resources === undefined) return [];
    const options = this.#requestOptions(signal);
    return this.#request(client, signal, () =>
      listAll(async (cursor) => {
        const page = await client.listResources(cursor === undefined ? {} : { cursor }, options);
        return { items: page.resources, nextCursor: page.nextCursor };
      }),
    );
  }

  async readResource(uri: string, signal?: AbortSignal): Promise<ReadResourceResult> {
    const client = await this.connection(signal);
    return this.#request(client, signal, () =>
      client.readResource({ uri }, this.#requestOptions(signal)),
    );
  }

  async prompts(signal?: AbortSignal): Promise<Prompt[]> {
    const client = await this.connection(signal);
    if (client.getServerCapabilities()?.prompts === undefined) return [];
    const options = this.#requestOptions(signal);
    return this.#request(client, signal, () =>
      listAll(async (cursor) => {
        const page = await client.listPrompts(cursor === undefined ? {} : { cursor }, options);
        return { items: page.prompts, nextCursor: page.nextCursor };
      }),
    );
  }

  async getPrompt(
    name: string,
    args?: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<GetPromptResult> {
    const client = await this.connection(signal);
    const params = args === undefined ? { name } : { name, arguments: { ...args } };
    return this.#request(client, signal, () =>
      client.getPrompt(params, this.#requestOptions(signal)),
    );
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#options.signal?.removeEventListener('abort', this.#onAbort);
      const client = this.#client;
      const opening = this.#opening;
      this.#client = undefined;
      this.#listeners.clear();
      // A connection being opened sees `closed` when it completes and closes itself.
      this.#closing = Promise.all([
        client?.close(),
        opening?.then(
          () => undefined,
          () => undefined,
        ),
      ]).then(() => undefined);
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The open connection, or a new one (after a server died): one attempt shared by callers. */
  connection(signal?: AbortSignal): Promise<Client> {
    if (this.closed) return Promise.reject(this.#closedError());
    if (this.#client !== undefined) return Promise.resolve(this.#client);
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return raceAbort(this.#opening, signal);
  }

  async #open(): Promise<Client> {
    const client: Client = new Client(CLIENT_INFO, {
      listChanged: {
        tools: { autoRefresh: false, onChanged: () => this.#onListChanged(client) },
      },
    });
    // A dead server (process exit, closed stream) ends the connection; the next use reopens.
    client.onclose = () => {
      if (this.#client === client) this.#client = undefined;
    };
    try {
      await client.connect(createTransport(this.#options.target), {
        timeout: this.#options.connectTimeoutMs,
      });
      if (!this.closed) await this.#listTools(client);
    } catch (error) {
      await client.close().catch(() => undefined);
      if (this.closed) throw this.#closedError();
      throw new TroupeError(
        'ERR_BACKEND_UNAVAILABLE',
        `could not connect to MCP server "${this.#label}": ${messageOf(error)}`,
        { cause: error, details: { server: this.#label } },
      );
    }
    if (this.closed) {
      await client.close();
      throw this.#closedError();
    }
    this.#server = client.getServerVersion();
    this.#client = client;
    return client;
  }

  #onListChanged(client: Client): void {
    if (this.#client !== client) return;
    // A failed re-listing keeps the tools as they were; the next call or refresh() tries again.
    this.#listTools(client).catch(() => undefined);
  }

  async #listTools(client: Client): Promise<void> {
    const listing = ++this.#listing;
    const listed =
      client.getServerCapabilities()?.tools === undefined
        ? []
        : await listAll(async (cursor) => {
            const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
              timeout: this.#options.connectTimeoutMs,
            });
            return { items: page.tools, nextCursor: page.nextCursor };
          });
    if (listing === this.#listing && !this.closed) this.#apply(listed);
  }

  /** Applies a listing; tells listeners when the list is not the same as before. */
  #apply(listed: readonly McpTool[]): void {
    const { entries, skipped } = buildToolList(listed, this.#entries, {
      prefix: this.#options.prefix,
      reserved: new Set(this.#extra.map((tool) => tool.name)),
      compiler: new SchemaCompiler(),
      define: (name, mcpTool, validate) =>
        defineJsonTool({
          name,
          description:
            mcpTool.description ?? mcpTool.title ?? mcpTool.annotations?.title ?? mcpTool.name,
          jsonSchema: mcpTool.inputSchema,
          validate,
          timeoutMs: this.#options.timeoutMs,
          run: (input, ctx) => this.#call(mcpTool.name, input, ctx),
        }),
    });
    const tools = [...[...entries.values()].map((entry) => entry.tool), ...this.#extra];
    const previous = this.#tools;
    this.#entries = entries;
    this.#offered = new Set([...entries.values()].map((entry) => entry.mcpName));
    this.#skipped = Object.freeze(skipped);
    if (tools.length === previous.length && tools.every((tool, i) => tool === previous[i])) return;
    this.#tools = Object.freeze(tools);
    for (const listener of this.#listeners) {
      try {
        listener(this.#tools);
      } catch (error) {
        // A listener's bug is reported out of band, never into the connection's own work.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  async #call(mcpName: string, input: JsonToolArguments, ctx: ToolContext): Promise<unknown> {
    const signal = ctx.signal;
    const client = await this.connection(signal);
    if (!this.#offered.has(mcpName)) {
      throw new TroupeError(
        'ERR_NOT_FOUND',
        `MCP server "${this.#label}" no longer offers the tool "${mcpName}"`,
      );
    }
    const result = await this.#request(client, signal, () =>
      client.callTool({ name: mcpName, arguments: { ...input } }, undefined, {
        signal,
        timeout: this.#options.timeoutMs,
      }),
    );
    // Servers of protocol 2024-10-07 answer with `toolResult` instead of content blocks.
    if (!('content' in result)) return result.toolResult;
    return resultValue(result as CallToolResult);
  }

  /**
   * Runs one request on `client`. A lost connection, the SDK's timeout or a transport failure
   * (an HTTP server gone, a session it forgot) becomes a TroupeError; after a transport failure
   * the connection is dropped, so the next use connects again.
   */
  async #request<T>(
    client: Client,
    signal: AbortSignal | undefined,
    send: () => Promise<T>,
  ): Promise<T> {
    try {
      return await send();
    } catch (error) {
      // Our own abort (timeout, interrupt, cancel): the SDK told the server; the link is fine.
      if (signal?.aborted) throw error;
      const details = { server: this.#label };
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        throw new TroupeError('ERR_TIMEOUT', `MCP server "${this.#label}" did not answer in time`, {
          cause: error,
          details,
        });
      }
      // Any other McpError is the server's own answer (unknown tool, bad params): shown as is.
      if (error instanceof McpError && error.code !== ErrorCode.ConnectionClosed) throw error;
      if (this.#client === client) this.#client = undefined;
      void client.close().catch(() => undefined);
      const what =
        error instanceof McpError ? 'closed the connection before it answered' : 'failed';
      throw new TroupeError(
        'ERR_BACKEND_UNAVAILABLE',
        `MCP server "${this.#label}" ${what}: ${messageOf(error)}`,
        { cause: error, details },
      );
    }
  }

  #requestOptions(signal: AbortSignal | undefined): { signal?: AbortSignal; timeout: number } {
    const timeout = this.#options.timeoutMs;
    return signal === undefined ? { timeout } : { signal, timeout };
  }

  #closedError(): TroupeError {
    return new TroupeError('ERR_CLOSED', `the MCP client for "${this.#label}" is closed`, {
      details: { server: this.#label },
    });
  }
}
