import { invalidArgument, TroupeError } from '../errors.js';

/**
 * An agent's context: a plain object of named values.
 */
export type ContextState = Readonly<Record<string, unknown>>;

/**
 * One ordered change to a context. `append` extends a list (or starts one), `merge`
 * deep-merges a plain object into an object (or starts one), `delete` removes a key.
 *
 * @example
 * ```ts
 * const updates: ContextUpdate[] = [
 *   { op: 'append', key: 'files', value: 'b.ts' },
 *   { op: 'delete', key: 'draft' },
 * ];
 * ```
 */
export type ContextUpdate =
  | { readonly op: 'set'; readonly key: string; readonly value: unknown }
  | { readonly op: 'append'; readonly key: string; readonly value: unknown }
  | {
      readonly op: 'merge';
      readonly key: string;
      readonly value: Readonly<Record<string, unknown>>;
    }
  | { readonly op: 'delete'; readonly key: string };

/**
 * Applies `updates` in order to `state` and returns the new state; neither `state` nor any
 * value in it is mutated (untouched values are shared with the result).
 *
 * - `set` replaces the value; `delete` removes the key (a missing key is fine).
 * - `append` pushes onto the list at `key`, starting one if the key is missing (or
 *   `undefined`); onto anything
 *   else it throws `ERR_INVALID_UPDATE`.
 * - `merge` deep-merges a plain object into the object at `key` (starting one if missing):
 *   nested plain objects merge, everything else (arrays included) is replaced. Onto a
 *   non-object it throws `ERR_INVALID_UPDATE`.
 * - A malformed update (unknown op, empty or `__proto__` key, merge value not a plain object,
 *   `state` not a plain object) throws `ERR_INVALID_ARGUMENT`.
 * - Errors are thrown for the first bad update in order; a throw returns nothing, so nothing is
 *   applied.
 *
 * Linear in the number of updates: a list is copied once per call, on its first append, and
 * later appends in the same call push onto that private copy.
 *
 * @example
 * ```ts
 * const next = applyUpdates({ files: ['a.ts'] }, [
 *   { op: 'append', key: 'files', value: 'b.ts' },
 *   { op: 'merge', key: 'plan', value: { step: 1 } },
 * ]);
 * // next = { files: ['a.ts', 'b.ts'], plan: { step: 1 } }
 * ```
 */
export function applyUpdates(
  state: ContextState,
  updates: readonly ContextUpdate[],
): Record<string, unknown> {
  if (!isPlainObject(state)) throw invalidArgument('state must be a plain object');
  if (!Array.isArray(updates)) throw invalidArgument('updates must be an array');

  const next: Record<string, unknown> = { ...state };
  // Containers created by this call (copied lists, merged objects): safe to mutate in place.
  // Anything else reachable from `next` belongs to the caller. `ownedLists` maps a key to the
  // list this call put there (an entry always equals `next[key]`; any other op on the key
  // removes it), so an append to an owned list is one Map lookup and a push.
  const ownedLists = new Map<string, unknown[]>();
  const ownedObjects = new Set<unknown>();
  // The list last appended to, for the common run of appends to one key: a pointer compare
  // and a push, no property lookup. Dropped when any other op touches that key.
  let lastKey: string | undefined;
  let lastList: unknown[] = [];
  // One pass: each update is checked as it is reached (a throw returns nothing, so nothing
  // is applied), which reads every update object once instead of twice.
  for (let i = 0; i < updates.length; i++) {
    const update = updates[i] as ContextUpdate;
    if (typeof update === 'object' && update !== null && update.key === lastKey) {
      // `lastKey` came from a valid append, so the key is valid; only op and value remain.
      if (update.op === 'append' && (update.value !== undefined || 'value' in update)) {
        lastList.push(update.value);
        continue;
      }
      lastKey = undefined;
    }
    validate(update, i);
    const key = update.key;
    if (update.op !== 'append' && ownedLists.size > 0) ownedLists.delete(key);
    switch (update.op) {
      case 'set':
        next[key] = update.value;
        break;
      case 'delete':
        delete next[key];
        break;
      case 'append': {
        let list = ownedLists.get(key);
        if (list !== undefined) {
          list.push(update.value);
        } else {
          const current = own(next, key);
          if (current === undefined) {
            list = [update.value];
          } else if (Array.isArray(current)) {
            list = current.slice();
            list.push(update.value);
          } else {
            throw invalidUpdate(i, update.op, key, current);
          }
          ownedLists.set(key, list);
          next[key] = list;
        }
        lastKey = key;
        lastList = list;
        break;
      }
      case 'merge': {
        const current = own(next, key);
        if (current === undefined) {
          const merged = mergeInto({}, update.value);
          ownedObjects.add(merged);
          next[key] = merged;
        } else if (isPlainObject(current)) {
          const target = ownedObjects.has(current) ? current : { ...current };
          ownedObjects.add(target);
          next[key] = mergeInto(target, update.value);
        } else {
          throw invalidUpdate(i, update.op, key, current);
        }
        break;
      }
    }
  }
  return next;
}

/** Deep-merges `source` into `target` (which the caller owns); nested objects are copied. */
function mergeInto(
  target: Record<string, unknown>,
  source: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  for (const key of Object.keys(source)) {
    const value = source[key];
    const current = own(target, key);
    target[key] =
      isPlainObject(value) && isPlainObject(current)
        ? mergeInto({ ...current }, value)
        : isPlainObject(value)
          ? mergeInto({}, value)
          : value;
  }
  return target;
}

/** An own property only: `toString` or `constructor` must not read through to the prototype. */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function validate(update: unknown, i: number): void {
  if (typeof update !== 'object' || update === null) {
    throw invalidArgument(`updates[${i}] must be an object`, { index: i });
  }
  const u = update as { op?: unknown; key?: unknown; value?: unknown };
  const op = u.op;
  // Compares against literals (interned strings: pointer compares) rather than a Set lookup:
  // this runs once per update.
  if (op !== 'append' && op !== 'set' && op !== 'merge' && op !== 'delete') {
    throw invalidArgument(`updates[${i}].op must be one of set, append, merge, delete`, {
      index: i,
      op: u.op,
    });
  }
  if (typeof u.key !== 'string' || u.key.length === 0 || u.key === '__proto__') {
    throw invalidArgument(`updates[${i}].key must be a non-empty string other than __proto__`, {
      index: i,
      key: u.key,
    });
  }
  if ((op === 'set' || op === 'append') && !('value' in u)) {
    throw invalidArgument(`updates[${i}].value is required for ${op}`, { index: i });
  }
  if (op === 'merge') {
    if (!isPlainObject(u.value)) {
      throw invalidArgument(`updates[${i}].value must be a plain object for merge`, { index: i });
    }
    if (hasProtoKey(u.value, 0)) {
      throw invalidArgument(`updates[${i}].value must not contain a __proto__ key`, { index: i });
    }
  }
}

/** True if a `__proto__` own key appears anywhere in merged objects (it would set a prototype). */
function hasProtoKey(value: Record<string, unknown>, depth: number): boolean {
  if (depth > 256) throw invalidArgument('merge value is nested too deeply or cyclic');
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return true;
    const child = value[key];
    if (isPlainObject(child) && hasProtoKey(child, depth + 1)) return true;
  }
  return false;
}

function invalidUpdate(index: number, op: string, key: string, current: unknown): TroupeError {
  const found = Array.isArray(current) ? 'a list' : current === null ? 'null' : typeof current;
  return new TroupeError(
    'ERR_INVALID_UPDATE',
    `updates[${index}]: cannot ${op} onto ${found} at key "${key}"`,
    { details: { index, op, key } },
  );
}
