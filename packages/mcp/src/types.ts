import type {
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
} from '@modelcontextprotocol/sdk/types.js';
import type { AnyTool } from '@troupe/core';

/**
 * A server tool that is not offered to agents, and why (a name that cannot be a tool name, a
 * duplicate name, a schema that does not compile).
 *
 * @example
 * ```ts
 * for (const { name, reason } of client.skipped) console.warn(`${name} skipped: ${reason}`);
 * ```
 */
export interface SkippedTool {
  readonly name: string;
  readonly reason: string;
}

/**
 * A live connection to one MCP server and the Troupe tools for its tools. Made by
 * {@link mcpTools}; close it when the team that uses it closes (or pass `signal`).
 *
 * @example
 * ```ts
 * const files = await mcpTools({ command: 'node', args: ['files-server.js'] });
 * try {
 *   const agent = defineAgent({ name: 'reader', instructions, model, tools: files.tools });
 *   // ... spawn, send
 * } finally {
 *   await team.close();
 *   await files.close();
 * }
 * ```
 */
export interface McpClient extends AsyncDisposable {
  /**
   * The server's tools now, as Troupe tools. A new array when the server's list changes
   * (`notifications/tools/list_changed`); a tool that did not change keeps its object.
   */
  readonly tools: readonly AnyTool[];
  /** Server tools left out of {@link McpClient.tools}, and why. */
  readonly skipped: readonly SkippedTool[];
  /** The server's name and version from the handshake (the latest connection's). */
  readonly server: Implementation | undefined;
  /** True once {@link McpClient.close} was called or `signal` aborted. */
  readonly closed: boolean;
  /** Calls `listener` with the new list each time the server's tool list changes. */
  onToolsChanged(listener: (tools: readonly AnyTool[]) => void): () => void;
  /** Lists the server's tools again now; resolves with the new {@link McpClient.tools}. */
  refresh(): Promise<readonly AnyTool[]>;
  /** The server's resources (every page); empty when it offers none. */
  resources(signal?: AbortSignal): Promise<Resource[]>;
  /** One resource's contents. */
  readResource(uri: string, signal?: AbortSignal): Promise<ReadResourceResult>;
  /** The server's prompts (every page); empty when it offers none. */
  prompts(signal?: AbortSignal): Promise<Prompt[]>;
  /** One prompt, filled in with `args`. */
  getPrompt(
    name: string,
    args?: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<GetPromptResult>;
  /** Closes the connection (a stdio server is stopped). Idempotent; later calls are errors. */
  close(): Promise<void>;
}
