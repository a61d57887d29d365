// Where values enter persistence (log entries, snapshots, history, context updates) and where a
// model's tool arguments enter a tool, they are checked once: a value JSON cannot hold, or one
// nested deep enough to overflow a recursive reader, is refused there, before anything changes,
// instead of failing every later write that meets it.
import { invalidArgument } from '../errors.js';

/**
 * Deepest nesting of objects and arrays a persisted value may have (log entry data, snapshot
 * context, history messages, context update values): 256 levels. Deeper is refused with
 * `ERR_INVALID_ARGUMENT`, since recursive readers (JSON tools, redaction, other languages'
 * parsers) may overflow their stack on it.
 *
 * @example
 * ```ts
 * checkJsonValue(entry.data, 'entry.data', { maxDepth: MAX_JSON_DEPTH });
 * ```
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Bounds for {@link checkJsonValue}.
 *
 * @example
 * ```ts
 * const limits: JsonLimits = { maxDepth: 64, maxBytes: 1_048_576 };
 * ```
 */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays (default {@link MAX_JSON_DEPTH}). */
  readonly maxDepth?: number;
  /**
   * Largest size as JSON text, counted in UTF-16 code units while walking (default: no bound).
   * The walk stops as soon as the bound is passed, so a huge value costs no more than the bound.
   */
  readonly maxBytes?: number;
}

/**
 * Why a value cannot be stored as JSON, or `undefined` when it can. Refused: `bigint`,
 * `symbol` and function values anywhere (JSON would throw, or drop them silently), cycles,
 * nesting deeper than `maxDepth`, and a size past `maxBytes`. Shared references that are not
 * cycles are fine; `undefined` object properties are fine (JSON leaves them out); objects with
 * a `toJSON` (dates) are taken whole. Iterative: no recursion, whatever the depth.
 *
 * @example
 * ```ts
 * jsonProblem({ n: 10n }); // 'holds a bigint at .n'
 * jsonProblem({ ok: [1, 'two'] }); // undefined
 * ```
 */
export function jsonProblem(value: unknown, limits: JsonLimits = {}): string | undefined {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  // Fast path for the common leaves.
  const leaf = leafProblem(value);
  if (leaf !== null) return leaf === undefined ? undefined : `is ${leaf}`;
  // Most values are fine: a recursive walk that allocates nothing says so. Only a value it
  // doubts takes the iterative walk below, which finds and names the problem.
  if (maxDepth <= MAX_JSON_DEPTH && !walking) {
    walking = true;
    // Kept a small integer, so updating it allocates nothing (a larger bound, or none, counts
    // as 2^30 here; a value past that takes the iterative walk, which counts exactly).
    budget = Math.min(maxBytes, QUICK_BUDGET);
    let fine: boolean;
    try {
      fine = fits(value, 0, maxDepth);
    } finally {
      walking = false;
    }
    if (fine) return undefined;
  }
  return slowProblem(value, maxDepth, maxBytes);
}

// The quick walk's state. Module-level, so a walk allocates nothing: a getter that runs
// jsonProblem again while a walk is under way (`walking`) gets the iterative walk instead.
let walking = false;
let budget = 0;
const QUICK_BUDGET = 2 ** 30 - 1;
/** The objects on the current path (a cycle is one met again): `path[0..depth)`. */
const path: object[] = [];

/**
 * A recursive check that a value is storable, counting its size as {@link jsonProblem} does:
 * false at the first doubt (a bad leaf, a cycle, too deep, too large). Recursion is bounded
 * by `maxDepth` (at most {@link MAX_JSON_DEPTH}), so it cannot overflow.
 */
function fits(value: unknown, depth: number, maxDepth: number): boolean {
  switch (typeof value) {
    case 'string':
      return spend(value.length + 2);
    case 'number':
    case 'boolean':
    case 'undefined':
      return spend(8);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return spend(8);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return spend(16);
  if (depth >= maxDepth) return false;
  for (let i = 0; i < depth; i++) if (path[i] === value) return false;
  path[depth] = value;
  const fine = Array.isArray(value)
    ? arrayFits(value, depth + 1, maxDepth)
    : recordFits(value as Record<string, unknown>, depth + 1, maxDepth);
  path[depth] = EMPTY;
  return fine;
}

/** Counts `bytes` against the budget: false once it is spent. */
function spend(bytes: number): boolean {
  budget -= bytes;
  return budget >= 0;
}

/** What a released path slot holds: nothing the caller's values could be. */
const EMPTY: object = Object.freeze({});

function arrayFits(items: readonly unknown[], depth: number, maxDepth: number): boolean {
  if (!spend(2 + items.length)) return false;
  for (let i = 0; i < items.length; i++) if (!fits(items[i], depth, maxDepth)) return false;
  return true;
}

function recordFits(record: Record<string, unknown>, depth: number, maxDepth: number): boolean {
  if (!spend(2)) return false;
  // for-in with an own-property check visits what Object.keys lists, in the same order,
  // without building the array.
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const child = record[key];
    if (child === undefined) continue;
    if (!spend(key.length + 4) || !fits(child, depth, maxDepth)) return false;
  }
  return true;
}

/** {@link jsonProblem}'s walk that names the problem: iterative, whatever the depth. */
function slowProblem(value: unknown, maxDepth: number, maxBytes: number): string | undefined {
  let bytes = 0;
  // Depth-first with an explicit stack: `open` holds the objects on the current path (a cycle
  // is an object met again while still open); an exit marker closes one.
  const open = new Set<object>();
  const stack: Frame[] = [{ value, parent: undefined, key: '', depth: 0, exit: false }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const item = frame.value;
    if (frame.exit) {
      open.delete(item as object);
      continue;
    }
    const problem = leafProblem(item);
    if (problem !== null) {
      if (problem !== undefined) return `holds ${problem} at ${pathOf(frame)}`;
      bytes += leafSize(item);
      if (bytes > maxBytes) return `is larger than ${maxBytes} characters as JSON`;
      continue;
    }
    const object = item as object;
    if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
      bytes += 16;
      continue;
    }
    if (open.has(object)) return `holds a cycle at ${pathOf(frame)}`;
    if (frame.depth >= maxDepth) return `is nested deeper than ${maxDepth} levels`;
    open.add(object);
    stack.push({ value: object, parent: undefined, key: '', depth: frame.depth, exit: true });
    const depth = frame.depth + 1;
    bytes += 2;
    if (Array.isArray(object)) {
      for (let i = object.length - 1; i >= 0; i--) {
        stack.push({ value: object[i], parent: frame, key: i, depth, exit: false });
      }
      bytes += object.length;
    } else {
      const record = object as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const child = record[key];
        if (child === undefined) continue;
        bytes += key.length + 4;
        stack.push({ value: child, parent: frame, key, depth, exit: false });
      }
    }
    if (bytes > maxBytes) return `is larger than ${maxBytes} characters as JSON`;
  }
  return undefined;
}

/**
 * Refuses, with `ERR_INVALID_ARGUMENT` naming `name`, a value {@link jsonProblem} finds a
 * problem with.
 *
 * @example
 * ```ts
 * checkJsonValue(entry.data, 'entry.data'); // throws 'entry.data holds a bigint at .n'
 * ```
 */
export function checkJsonValue(value: unknown, name: string, limits?: JsonLimits): void {
  const problem = jsonProblem(value, limits);
  if (problem !== undefined) {
    throw invalidArgument(`${name} cannot be stored as JSON: it ${problem}`, { option: name });
  }
}

interface Frame {
  readonly value: unknown;
  /** The frame of the containing object; the path is built from these only for a message. */
  readonly parent: Frame | undefined;
  readonly key: string | number;
  readonly depth: number;
  readonly exit: boolean;
}

function pathOf(frame: Frame): string {
  let path = '';
  for (let at: Frame | undefined = frame; at?.parent !== undefined; at = at.parent) {
    path = (typeof at.key === 'number' ? `[${at.key}]` : `.${at.key}`) + path;
  }
  return path || '(root)';
}

/** `undefined` for a fine leaf, a description for a bad one, `null` for an object to walk. */
function leafProblem(value: unknown): string | undefined | null {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'bigint':
      return 'a bigint';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      return value === null ? undefined : null;
  }
}

function leafSize(value: unknown): number {
  return typeof value === 'string' ? value.length + 2 : 8;
}
