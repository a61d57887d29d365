import { type AnyTool, defineTool, type ToolContext } from '@troupe/core';
import { z } from 'zod';
import { parseStrictOptions } from './internal/validate.js';
import { scopeSchema } from './schemas.js';
import { MEMORY_TYPES, type MemoryScope, type MemoryStore, SCOPE_FIELDS } from './types.js';

/**
 * Options of {@link memoryTools}.
 *
 * @example
 * ```ts
 * const options: MemoryToolsOptions = {
 *   scope: (ctx) => ({ team: 'research', agent: ctx.agent }),
 *   recallLimit: 5,
 * };
 * ```
 */
export interface MemoryToolsOptions {
  /**
   * Where the agent's memories live: entries it remembers get this scope, and recall and forget
   * see only entries inside it. A function gets each call's context (for per-agent scopes).
   * Default `{}` (the whole store).
   */
  readonly scope?: MemoryScope | ((ctx: ToolContext) => MemoryScope);
  /** Most results `recall` returns when the model does not say; default 5. */
  readonly recallLimit?: number;
  /** `recall` drops results scoring below this; default 0. */
  readonly minScore?: number;
}

const optionsSchema = z.object({
  scope: z
    .union([
      scopeSchema,
      z.custom<object>((v) => typeof v === 'function', 'must be a scope or a function'),
    ])
    .optional(),
  recallLimit: z.number().int().min(1).max(100).optional(),
  minScore: z.number().min(0).max(1).optional(),
});

const typeSchema = z.enum(MEMORY_TYPES as [string, ...string[]]);

function inside(entryScope: MemoryScope, scope: MemoryScope): boolean {
  return SCOPE_FIELDS.every(
    (field) => scope[field] === undefined || entryScope[field] === scope[field],
  );
}

/**
 * The agent tools `remember`, `recall` and `forget` over a memory store, confined to a scope.
 * A forget outside the scope, or of an unknown id, is a normal result (`{ forgotten: false }`).
 *
 * @example
 * ```ts
 * const memory = createInMemoryStore({ clock, embedder: createHashEmbedder() });
 * const agent = defineAgent({
 *   name: 'scout', instructions: '…', model,
 *   tools: [...memoryTools(memory, { scope: (ctx) => ({ team: 'research', agent: ctx.agent }) })],
 *   maxTurns: 10,
 * });
 * ```
 */
export function memoryTools(
  memory: MemoryStore,
  options: MemoryToolsOptions = {},
): readonly AnyTool[] {
  const parsed = parseStrictOptions(optionsSchema, options, 'memoryTools options');
  const scopeOption = options.scope ?? {};
  const scopeOf = (ctx: ToolContext): MemoryScope =>
    typeof scopeOption === 'function' ? scopeOption(ctx) : scopeOption;
  const recallLimit = parsed.recallLimit ?? 5;
  const minScore = parsed.minScore ?? 0;

  const remember = defineTool({
    name: 'remember',
    description:
      'Store something worth remembering later: a fact (semantic), an event (episodic) or a how-to (procedural). Returns its id.',
    input: z.object({
      content: z.string().min(1).describe('What to remember, self-contained'),
      type: typeSchema.optional().describe('semantic (default), episodic or procedural'),
      importance: z.number().min(0).max(1).optional().describe('0 to 1; default 0.5'),
      tags: z.array(z.string().min(1)).optional(),
      evergreen: z.boolean().optional().describe('true if it never goes stale'),
    }),
    async run(input, ctx) {
      const entry = await memory.add({
        content: input.content,
        scope: scopeOf(ctx),
        ...(input.type === undefined ? {} : { type: input.type as (typeof MEMORY_TYPES)[number] }),
        ...(input.importance === undefined ? {} : { importance: input.importance }),
        ...(input.tags === undefined ? {} : { tags: input.tags }),
        ...(input.evergreen === undefined ? {} : { evergreen: input.evergreen }),
      });
      return { id: entry.id };
    },
  });

  const recall = defineTool({
    name: 'recall',
    description: 'Search your memory. Returns the best matching memories, most relevant first.',
    input: z.object({
      query: z.string().min(1).describe('What you want to remember'),
      limit: z.number().int().min(1).max(50).optional(),
      types: z.array(typeSchema).optional(),
    }),
    async run(input, ctx) {
      const hits = await memory.search({
        text: input.query,
        scope: scopeOf(ctx),
        limit: input.limit ?? recallLimit,
        minScore,
        ...(input.types === undefined
          ? {}
          : { types: input.types as (typeof MEMORY_TYPES)[number][] }),
      });
      return hits.map((hit) => ({
        id: hit.entry.id,
        content: hit.entry.content,
        type: hit.entry.type,
        tags: hit.entry.tags,
        score: Math.round(hit.score * 1000) / 1000,
      }));
    },
  });

  const forget = defineTool({
    name: 'forget',
    description:
      'Delete a memory by id (from remember or recall) when it is wrong or no longer useful.',
    input: z.object({ id: z.string().min(1) }),
    async run({ id }, ctx) {
      const entry = await memory.get(id);
      if (entry === undefined || !inside(entry.scope, scopeOf(ctx))) return { forgotten: false };
      return { forgotten: await memory.delete(id) };
    },
  });

  return Object.freeze([remember, recall, forget]);
}
