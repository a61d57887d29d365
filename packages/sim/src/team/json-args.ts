import type { JsonSchema, Rng } from '@troupe/core';

/** Deepest nesting generated: a recursive schema ends in an empty object or list. */
const MAX_DEPTH = 6;

type Schema = { readonly [key: string]: unknown };

const asSchema = (value: unknown): Schema =>
  typeof value === 'object' && value !== null ? (value as Schema) : {};

/**
 * Arguments for a tool call, generated from the tool's JSON Schema (as zod's `toJSONSchema`
 * writes it) with a seeded rng: every required property, optional ones half the time, enums
 * and constants as given, numbers and strings within their bounds. The same rng state gives the
 * same arguments, so simulated tool calls are deterministic.
 *
 * @example
 * ```ts
 * argsFromSchema({ type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 3 } }, required: ['n'] }, rng);
 * // { n: 2 }
 * ```
 */
export function argsFromSchema(schema: JsonSchema, rng: Rng): unknown {
  return generate(asSchema(schema), rng, 0, 'value');
}

function generate(s: Schema, rng: Rng, depth: number, name: string): unknown {
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[rng.int(0, s.enum.length - 1)];
  const choices = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) {
    const usable = choices.map(asSchema).filter((c) => c.type !== 'null');
    const pick = usable.length > 0 ? usable : choices.map(asSchema);
    return generate(pick[rng.int(0, pick.length - 1)]!, rng, depth, name);
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    return generate(Object.assign({}, ...s.allOf.map(asSchema)), rng, depth, name);
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth >= MAX_DEPTH) return out;
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      for (const [key, sub] of Object.entries(asSchema(s.properties))) {
        if (required.has(key) || rng.next() < 0.5)
          out[key] = generate(asSchema(sub), rng, depth + 1, key);
      }
      return out;
    }
    case 'array': {
      if (depth >= MAX_DEPTH) return [];
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      const max = typeof s.maxItems === 'number' ? Math.min(s.maxItems, min + 3) : min + 3;
      const n = rng.int(min, Math.max(min, max));
      return Array.from({ length: n }, () => generate(asSchema(s.items), rng, depth + 1, name));
    }
    case 'integer':
    case 'number': {
      const lo = bound(s.minimum, s.exclusiveMinimum, 1, 0);
      const hi = Math.max(lo, bound(s.maximum, s.exclusiveMaximum, -1, lo + 100));
      const v =
        type === 'integer' ? rng.int(Math.ceil(lo), Math.floor(hi)) : lo + rng.next() * (hi - lo);
      return type === 'integer' ? v : Math.round(v * 1000) / 1000;
    }
    case 'boolean':
      return rng.next() < 0.5;
    case 'null':
      return null;
    default: {
      const min = typeof s.minLength === 'number' ? s.minLength : 1;
      const max = typeof s.maxLength === 'number' ? s.maxLength : Math.max(min, 24);
      let text = `${name}-${rng.int(1, 9_999)}`;
      while (text.length < min) text += 'x';
      return text.slice(0, Math.max(min, Math.min(max, text.length)));
    }
  }
}

/** A numeric bound: inclusive, or exclusive nudged inwards by one, or the fallback. */
function bound(inclusive: unknown, exclusive: unknown, inward: number, fallback: number): number {
  if (typeof inclusive === 'number') return inclusive;
  if (typeof exclusive === 'number') return exclusive + inward;
  return fallback;
}
