import { describe, expect, it } from 'vitest';
import { troupeToolName } from '../src/internal/names.js';
import { SchemaCompiler } from '../src/internal/validator.js';

describe('SchemaCompiler', () => {
  it('accepts valid arguments and reports every problem with its path', () => {
    const validate = new SchemaCompiler().compile({
      type: 'object',
      properties: {
        items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
        mode: { enum: ['fast', 'slow'] },
      },
      required: ['items'],
      additionalProperties: false,
    });
    expect(validate({ items: [{ id: 'a' }], mode: 'fast' })).toEqual([]);
    expect(validate({ items: [{ id: 1 }], mode: 'other', extra: true })).toEqual([
      { path: [], message: 'must NOT have additional properties: "extra"' },
      { path: ['items', 0, 'id'], message: 'must be string' },
      { path: ['mode'], message: 'must be equal to one of the allowed values: ["fast","slow"]' },
    ]);
  });

  it('picks the draft from $schema: 2020-12 keywords work', () => {
    const validate = new SchemaCompiler().compile({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
      },
    });
    expect(validate({ pair: ['a', 1] })).toEqual([]);
    expect(validate({ pair: [1, 'a'] })).toHaveLength(2);
  });

  it('tolerates unknown keywords and formats (strict off, formats left to the server)', () => {
    const validate = new SchemaCompiler().compile({
      type: 'object',
      'x-vendor': true,
      properties: { url: { type: 'string', format: 'uri' } },
    });
    expect(validate({ url: 'not a uri' })).toEqual([]);
  });

  it('a second schema with the same $id in one list is refused (mcpTools skips that tool)', () => {
    const compiler = new SchemaCompiler();
    const schema = { $id: 'https://example.com/same.json', type: 'object' };
    expect(() => compiler.compile({ ...schema })).not.toThrow();
    // ajv refuses a second schema under the same $id: the caller skips that tool with the reason.
    expect(() => compiler.compile({ ...schema, required: ['x'] })).toThrow(/already exists/);
  });

  it('bounds the issues the model gets', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`p${i}`, { type: 'string' }]),
    );
    const validate = new SchemaCompiler().compile({ type: 'object', properties });
    const bad = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, i]));
    expect(validate(bad)).toHaveLength(20);
  });
});

describe('troupeToolName', () => {
  it('keeps valid names, replaces what a tool name cannot hold, adds the prefix', () => {
    expect(troupeToolName('', 'get-sum')).toBe('get-sum');
    expect(troupeToolName('fs_', 'files.read/all')).toBe('fs_files_read_all');
  });

  it('gives up on names longer than 64 characters', () => {
    expect(troupeToolName('', 'x'.repeat(64))).toBe('x'.repeat(64));
    expect(troupeToolName('p_', 'x'.repeat(63))).toBeUndefined();
  });
});
