import { type AnyTool, defineTool } from '@troupe/core';
import { z } from 'zod';
import type { ResolvedOptions } from '../options.js';
import type { McpClient } from '../types.js';

/** Longest resource text one read returns to the model, in characters. */
const MAX_RESOURCE_TEXT = 100_000;

/**
 * Tools that let an agent browse and read the server's resources: `<prefix>list_resources`
 * and `<prefix>read_resource`.
 */
export function resourceTools(
  client: Pick<McpClient, 'resources' | 'readResource'>,
  options: ResolvedOptions,
): readonly AnyTool[] {
  const list = defineTool({
    name: `${options.prefix}list_resources`,
    description:
      'Lists the resources (documents, files, records) this server offers: uri, name, description and MIME type of each.',
    input: z.object({}),
    timeoutMs: options.timeoutMs,
    run: async (_input, ctx) =>
      (await client.resources(ctx.signal)).map(({ uri, name, description, mimeType }) => ({
        uri,
        name,
        ...(description === undefined ? {} : { description }),
        ...(mimeType === undefined ? {} : { mimeType }),
      })),
  });
  const read = defineTool({
    name: `${options.prefix}read_resource`,
    description: `Reads one resource by its uri (from ${options.prefix}list_resources). Text comes back as it is; binary contents are described.`,
    input: z.object({ uri: z.string().min(1).describe('The resource URI') }),
    timeoutMs: options.timeoutMs,
    run: async ({ uri }, ctx) => {
      const { contents } = await client.readResource(uri, ctx.signal);
      const text = contents
        .map((part) =>
          'text' in part
            ? part.text
            : `[${part.uri}${part.mimeType ? ` (${part.mimeType})` : ''}, binary]`,
        )
        .join('\n');
      return text.length > MAX_RESOURCE_TEXT
        ? `${text.slice(0, MAX_RESOURCE_TEXT)}\n[truncated: ${text.length} characters in all]`
        : text;
    },
  });
  return Object.freeze([list, read]);
}
