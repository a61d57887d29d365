import { z } from 'zod';
import type { JsonSchema, ToolSpec } from '../model.js';
import type { AnyTool } from './define-tool.js';
import { rawJsonSchemaOf } from './json-tool.js';
import type { ToolSet } from './tool-set.js';

/**
 * The format a model asks for when it does not say (`Model.toolFormat`).
 *
 * @example
 * ```ts
 * const specs = toolSpecs(tools, model.toolFormat ?? DEFAULT_TOOL_FORMAT);
 * ```
 */
export const DEFAULT_TOOL_FORMAT = 'json-schema';

type Target = 'draft-2020-12' | 'draft-7' | 'draft-4' | 'openapi-3.0';

/** Provider formats zod can emit directly; any other name gets draft 2020-12. */
const TARGETS: Readonly<Record<string, Target>> = {
  'json-schema': 'draft-2020-12',
  'draft-2020-12': 'draft-2020-12',
  'draft-7': 'draft-7',
  'draft-4': 'draft-4',
  'openapi-3.0': 'openapi-3.0',
};

// Converting a 10-field schema costs ~120 µs; a WeakMap hit costs ~10 ns. Specs are cached per
// tool and per tool list (keyed by the list's identity: agents of one definition and role share
// one list), then per format. Weak keys: a dropped tool or list frees its specs. Never persisted.
const perTool = new WeakMap<AnyTool, Map<string, ToolSpec>>();
// The conversion itself is cached per input schema too: tools made per team over module-level
// schemas (the team tools) convert once per process, not once per team.
const perSchema = new WeakMap<object, Map<string, JsonSchema>>();

function jsonSchemaOf(input: AnyTool['input'], format: string): JsonSchema {
  // A JSON tool (defineJsonTool) brings its own schema: sent as it is, in every format.
  const raw = rawJsonSchemaOf(input);
  if (raw !== undefined) return raw;
  let byFormat = perSchema.get(input);
  if (byFormat === undefined) {
    byFormat = new Map();
    perSchema.set(input, byFormat);
  }
  let parameters = byFormat.get(format);
  if (parameters === undefined) {
    parameters = Object.freeze(
      z.toJSONSchema(input, {
        target: TARGETS[format] ?? 'draft-2020-12',
        io: 'input',
        unrepresentable: 'any',
      }),
    ) as JsonSchema;
    byFormat.set(format, parameters);
  }
  return parameters;
}
const perList = new WeakMap<readonly AnyTool[], Map<string, readonly ToolSpec[]>>();

/**
 * The tool's spec (name, description, JSON Schema of its input) in `format`, converted by zod's
 * own `z.toJSONSchema` once per (tool, format).
 *
 * @example
 * ```ts
 * const spec = toolSpec(add); // { name: 'add', description, parameters: { type: 'object', ... } }
 * ```
 */
export function toolSpec(tool: AnyTool, format: string = DEFAULT_TOOL_FORMAT): ToolSpec {
  let byFormat = perTool.get(tool);
  if (byFormat === undefined) {
    byFormat = new Map();
    perTool.set(tool, byFormat);
  }
  let spec = byFormat.get(format);
  if (spec === undefined) {
    const parameters = jsonSchemaOf(tool.input, format);
    spec = Object.freeze({ name: tool.name, description: tool.description, parameters });
    byFormat.set(format, spec);
  }
  return spec;
}

/**
 * Specs for a whole tool list, cached per (list identity, format): the hot path of every model
 * call is one WeakMap lookup and one Map lookup.
 *
 * @example
 * ```ts
 * const specs = toolSpecs(tools, model.toolFormat);
 * ```
 */
export function toolSpecs(
  tools: readonly AnyTool[],
  format: string = DEFAULT_TOOL_FORMAT,
): readonly ToolSpec[] {
  let byFormat = perList.get(tools);
  if (byFormat === undefined) {
    byFormat = new Map();
    perList.set(tools, byFormat);
  }
  let specs = byFormat.get(format);
  if (specs === undefined) {
    specs = Object.freeze(tools.map((tool) => toolSpec(tool, format)));
    byFormat.set(format, specs);
  }
  return specs;
}

/**
 * The specs of a tool set in `format`, kept on the set (made once per set and format). Built
 * from the per-schema conversion cache, not the per-tool one: a team's tools are made per team,
 * and per-tool WeakMap entries would keep each team alive through young-generation collections.
 *
 * @example
 * ```ts
 * const specs = toolSetSpecs(resolveToolSet(definition.tools, teamTools, role), 'openai');
 * ```
 */
export function toolSetSpecs(
  set: ToolSet,
  format: string = DEFAULT_TOOL_FORMAT,
): readonly ToolSpec[] {
  let specs = set.specs.get(format);
  if (specs === undefined) {
    specs = Object.freeze(
      set.list.map((tool) =>
        Object.freeze({
          name: tool.name,
          description: tool.description,
          parameters: jsonSchemaOf(tool.input, format),
        }),
      ),
    );
    set.specs.set(format, specs);
  }
  return specs;
}
