const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The name the model sees for an MCP tool: the prefix, then the server's name with every
 * character a Troupe tool name cannot hold (MCP also allows `.` and others) replaced by `_`.
 * Undefined when the result is still not a tool name (longer than 64 characters).
 */
export function troupeToolName(prefix: string, mcpName: string): string | undefined {
  const name = `${prefix}${mcpName.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  return TOOL_NAME.test(name) ? name : undefined;
}
