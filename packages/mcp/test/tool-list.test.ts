import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { defineJsonTool } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { buildToolList, type ToolListOptions } from '../src/internal/tool-list.js';
import { SchemaCompiler } from '../src/internal/validator.js';

const object = { type: 'object' as const, properties: { x: { type: 'string' } } };

function options(prefix = '', reserved: string[] = []): ToolListOptions {
  return {
    prefix,
    reserved: new Set(reserved),
    compiler: new SchemaCompiler(),
    define: (name, mcpTool, validate) =>
      defineJsonTool({
        name,
        description: mcpTool.description ?? name,
        jsonSchema: mcpTool.inputSchema,
        validate,
        run: () => 'ok',
      }),
  };
}

describe('buildToolList', () => {
  it('skips, with the reason, names that collide or are too long and schemas that do not compile', () => {
    const listed: McpTool[] = [
      { name: 'files.read', inputSchema: object },
      { name: 'files_read', inputSchema: object },
      { name: 'x'.repeat(70), inputSchema: object },
      { name: 'broken', inputSchema: { type: 'object', properties: { x: { $ref: '#/nowhere' } } } },
      { name: 'list_resources', inputSchema: object },
    ];
    const { entries, skipped } = buildToolList(listed, new Map(), options('', ['list_resources']));
    expect([...entries.keys()]).toEqual(['files_read']);
    expect(entries.get('files_read')?.mcpName).toBe('files.read');
    expect(skipped).toEqual([
      { name: 'files_read', reason: 'another tool is already named "files_read"' },
      { name: 'x'.repeat(70), reason: 'its name (with the prefix) is longer than 64 characters' },
      { name: 'broken', reason: expect.stringMatching(/^its schema is refused: .*nowhere/) },
      { name: 'list_resources', reason: 'another tool is already named "list_resources"' },
    ]);
  });

  it('keeps the objects of unchanged tools and makes new ones for changed tools', () => {
    const first = buildToolList(
      [
        { name: 'a', description: 'A', inputSchema: object },
        { name: 'b', description: 'B', inputSchema: object },
      ],
      new Map(),
      options('p_'),
    );
    const second = buildToolList(
      [
        { name: 'a', description: 'A', inputSchema: object },
        { name: 'b', description: 'B, now with a better description', inputSchema: object },
      ],
      first.entries,
      options('p_'),
    );
    expect(second.entries.get('p_a')?.tool).toBe(first.entries.get('p_a')?.tool);
    expect(second.entries.get('p_b')?.tool).not.toBe(first.entries.get('p_b')?.tool);
    expect(second.entries.get('p_b')?.tool.description).toBe('B, now with a better description');
  });
});
