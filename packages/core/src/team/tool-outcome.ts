// What every team tool shares: answering synchronously when its backend did, and tool errors
// that name their code first.
import type { MaybePromise } from '../backend/interfaces.js';
import { TroupeError } from '../errors.js';

/**
 * `fn(value)`, at once when the backend answered synchronously (the in-memory services may):
 * the tool then returns a plain value and its call finishes without a promise, a microtask hop
 * or a timeout timer (tools/run-tools.ts). Not named `then`: a module exporting `then` is a
 * thenable, and `await import()` of it would call it.
 */
export function andThen<T, R>(value: MaybePromise<T>, fn: (value: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/** A tool error the model sees, with its code first. */
export function toolError(code: TroupeError['code'], message: string): TroupeError {
  return new TroupeError(code, `${code}: ${message}`);
}
