// defineJsonTool (core), as @troupe/mcp uses it: the schema goes to providers as is, in every
// format, and the validator's issues are the arguments' errors.
import { defineJsonTool, toolSpec } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SchemaCompiler } from '../src/internal/validator.js';

const jsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { city: { type: 'string', description: 'A city' } },
  required: ['city'],
};

const weather = defineJsonTool({
  name: 'weather',
  description: 'Weather in a city',
  jsonSchema,
  validate: new SchemaCompiler().compile(jsonSchema),
  run: ({ city }) => `Sunny in ${String(city)}`,
});

describe('defineJsonTool', () => {
  it('sends its JSON Schema unchanged, whatever the provider format', () => {
    for (const format of ['json-schema', 'draft-7', 'openapi-3.0', 'draft-2020-12']) {
      expect(toolSpec(weather, format)).toEqual({
        name: 'weather',
        description: 'Weather in a city',
        parameters: jsonSchema,
      });
    }
  });

  it('validates with the given validator: issues become zod issues with their paths', () => {
    expect(weather.input.safeParse({ city: 'Lyon' })).toMatchObject({ success: true });
    const bad = weather.input.safeParse({ city: 7 });
    expect(bad.success).toBe(false);
    expect(z.prettifyError(bad.error!)).toBe('✖ must be string\n  → at city');
    const notObject = weather.input.safeParse(['Lyon']);
    expect(notObject.error?.issues[0]?.message).toBe('Tool arguments must be a JSON object');
  });

  it.each([
    [{ jsonSchema: 'nope' }, 'jsonSchema'],
    [{ validate: undefined }, 'validate'],
    [{ name: 'bad name' }, 'name'],
    [{ timeoutMs: -1 }, 'timeoutMs'],
  ])('refuses %j naming the option', (bad, option) => {
    const base = { name: 'ok', description: 'd', jsonSchema, validate: () => [], run: () => 1 };
    expect(() => defineJsonTool({ ...base, ...bad } as never)).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining(option),
      }),
    );
  });
});
