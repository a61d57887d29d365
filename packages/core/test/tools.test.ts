import {
  type AnyTool,
  DEFAULT_TOOL_TIMEOUT_MS,
  defineAgent,
  defineTool,
  toolResult,
  toolSpec,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing/doubles';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { toolSpecs } from '../src/tools/schema-cache.js';

const add = defineTool({
  name: 'add',
  description: 'Adds two numbers',
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }) => a + b,
});

describe('defineTool', () => {
  it('defaults to a 30 s timeout and no retries', () => {
    expect(add).toMatchObject({ name: 'add', timeoutMs: DEFAULT_TOOL_TIMEOUT_MS, retries: 0 });
    expect(DEFAULT_TOOL_TIMEOUT_MS).toBe(30_000);
  });

  it.each([
    [{ name: 'has space' }, 'name'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ retries: -1 }, 'retries'],
    [{ retries: 1.5 }, 'retries'],
    [{ input: {} }, 'input'],
    [{ run: 'nope' }, 'run'],
  ])('rejects a bad option %j naming it', (bad, option) => {
    const base = { name: 'ok', description: 'd', input: z.object({}), run: () => 1 };
    expect(() => defineTool({ ...base, ...bad } as never)).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining(option),
      }),
    );
  });

  it('AnyTool holds tools of different schemas without widening to any', () => {
    const greet = defineTool({
      name: 'greet',
      description: 'Greets',
      input: z.object({ who: z.string() }),
      run: ({ who }) => `hi ${who}`,
    });
    const agent = defineAgent({
      name: 'a',
      instructions: '',
      model: scriptedModel({ steps: [] }),
      tools: [add, greet],
    });
    expect(agent.tools.map((t) => t.name)).toEqual(['add', 'greet']);
    // Checked by `tsc -p packages/core`: `Tool<any>` would make these `any`.
    expectTypeOf<AnyTool['input']>().not.toBeAny();
    expectTypeOf<Parameters<AnyTool['run']>[0]>().not.toBeAny();
    expectTypeOf(add).toExtend<AnyTool>();
  });

  it('toolResult carries updates and refuses a non-array', () => {
    expect(toolResult('ok', [{ op: 'set', key: 'k', value: 1 }])).toMatchObject({
      result: 'ok',
      updates: [{ op: 'set' }],
    });
    expect(() => toolResult('ok', 'nope' as never)).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('tool schemas', () => {
  it("come from zod's own JSON Schema conversion", () => {
    expect(toolSpec(add)).toEqual({
      name: 'add',
      description: 'Adds two numbers',
      parameters: z.toJSONSchema(add.input, { target: 'draft-2020-12', io: 'input' }),
    });
  });

  it('are converted once per tool and format, and cached per tool list', () => {
    const tools = [add];
    const first = toolSpecs(tools, 'json-schema');
    expect(toolSpecs(tools, 'json-schema')).toBe(first);
    expect(toolSpec(add, 'json-schema')).toBe(first[0]);
    expect(toolSpecs([add], 'json-schema')[0]).toBe(first[0]);
  });

  it('differ per provider format', () => {
    const openapi = toolSpec(add, 'openapi-3.0');
    expect(openapi).not.toBe(toolSpec(add, 'json-schema'));
    expect(openapi.parameters).not.toHaveProperty(
      '$schema',
      'https://json-schema.org/draft/2020-12/schema',
    );
  });
});
