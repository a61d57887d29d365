import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { AnyTool } from '@troupe/core';
import type { SkippedTool } from '../types.js';
import { messageOf } from './abort.js';
import { troupeToolName } from './names.js';
import type { SchemaCompiler, Validate } from './validator.js';

/** One offered server tool. */
export interface ListedTool {
  readonly tool: AnyTool;
  readonly mcpName: string;
  /** Name, description and schema as listed: an unchanged entry keeps its tool object. */
  readonly key: string;
}

/** A server's tool list as Troupe tools, by Troupe name, and what was left out. */
export interface ToolList {
  readonly entries: ReadonlyMap<string, ListedTool>;
  readonly skipped: readonly SkippedTool[];
}

/** How a list is made: the name prefix, names taken already, and how a tool is defined. */
export interface ToolListOptions {
  readonly prefix: string;
  readonly reserved: ReadonlySet<string>;
  readonly compiler: SchemaCompiler;
  define(name: string, mcpTool: McpTool, validate: Validate): AnyTool;
}

function nameProblem(
  name: string | undefined,
  taken: ReadonlyMap<string, ListedTool>,
  reserved: ReadonlySet<string>,
): string | undefined {
  if (name === undefined) return 'its name (with the prefix) is longer than 64 characters';
  if (taken.has(name) || reserved.has(name)) return `another tool is already named "${name}"`;
  return undefined;
}

/**
 * Makes the tool list from a listing. A tool listed as before (same name, description and
 * schema) keeps its object from `previous`, so agents' cached provider specs stay valid; a new
 * or changed one gets a validator compiled now. Tools that cannot be offered are `skipped`.
 */
export function buildToolList(
  listed: readonly McpTool[],
  previous: ReadonlyMap<string, ListedTool>,
  options: ToolListOptions,
): ToolList {
  const entries = new Map<string, ListedTool>();
  const skipped: SkippedTool[] = [];
  for (const mcpTool of listed) {
    const name = troupeToolName(options.prefix, mcpTool.name);
    const problem = nameProblem(name, entries, options.reserved);
    if (problem !== undefined || name === undefined) {
      skipped.push({ name: mcpTool.name, reason: problem ?? 'no name' });
      continue;
    }
    const key = JSON.stringify([mcpTool.name, mcpTool.description, mcpTool.inputSchema]);
    const before = previous.get(name);
    let tool = before?.key === key ? before.tool : undefined;
    if (tool === undefined) {
      try {
        tool = options.define(name, mcpTool, options.compiler.compile(mcpTool.inputSchema));
      } catch (error) {
        skipped.push({ name: mcpTool.name, reason: `its schema is refused: ${messageOf(error)}` });
        continue;
      }
    }
    entries.set(name, { tool, mcpName: mcpTool.name, key });
  }
  return { entries, skipped };
}
