import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/** A tool call the server answered with `isError: true`: the model sees its text. */
export class McpToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'McpToolError';
  }
}

function blockText(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      // Binary content is described, not inlined: base64 in a text result only costs tokens.
      return `[${block.type} ${block.mimeType}, ${Math.floor((block.data.length * 3) / 4)} bytes]`;
    case 'resource': {
      const { resource } = block;
      if ('text' in resource) return resource.text;
      return `[resource ${resource.uri}${resource.mimeType ? ` (${resource.mimeType})` : ''}, binary]`;
    }
    case 'resource_link':
      return `[resource link ${block.uri}${block.name ? ` "${block.name}"` : ''}]`;
    default:
      return '';
  }
}

/**
 * What the model sees of a call's result: its content blocks as text (one per line), or the
 * structured content as JSON when there is no content. Throws {@link McpToolError} for a result
 * the server marked as an error.
 */
export function resultValue(result: CallToolResult): unknown {
  const text = (result.content ?? [])
    .map(blockText)
    .filter((t) => t !== '')
    .join('\n');
  if (result.isError === true) throw new McpToolError(text || 'the tool reported an error');
  if (text === '' && result.structuredContent !== undefined) return result.structuredContent;
  return text;
}
