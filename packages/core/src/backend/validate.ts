// Input checks shared by the shared state and the bus. Each throws ERR_INVALID_ARGUMENT naming
// the offending field, before anything is stored.
import type { Clock } from '../clock.js';
import { invalidArgument, TroupeError } from '../errors.js';

/** A non-empty string (agent, resource, topic names). */
export function requireName(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArgument(`${name} must be a non-empty string`, { [name]: value });
  }
  return value;
}

/** A non-negative safe integer (range bounds, sequence numbers). */
export function requireIndex(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative integer`, { [name]: value });
  }
  return value;
}

/** A positive safe integer (limits). */
export function requirePositiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidArgument(`${name} must be a positive integer`, { [name]: value });
  }
  return value;
}

/** A positive finite number of milliseconds (TTLs). */
export function requireDuration(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(`${name} must be a positive finite number of milliseconds`, {
      [name]: value,
    });
  }
  return value;
}

/** A non-negative finite number of milliseconds (timeouts: 0 means "do not wait"). */
export function requireDelay(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative finite number of milliseconds`, {
      [name]: value,
    });
  }
  return value;
}

/** An options or request object (not null, not an array). */
export function requireRecord(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`${name} must be an object`, { [name]: value });
  }
  return value as Record<string, unknown>;
}

/** Optional options object: `undefined` reads as `{}`. */
export function optionalRecord(value: unknown, name: string): Record<string, unknown> {
  return value === undefined ? {} : requireRecord(value, name);
}

/** Something shaped like a {@link Clock}. */
export function requireClock(value: unknown, name = 'options.clock'): Clock {
  const clock = value as Partial<Clock> | undefined;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw invalidArgument(`${name} must be a Clock (now, setTimeout, clearTimeout)`);
  }
  return clock as Clock;
}

/** An `AbortSignal` (or `undefined`). */
export function optionalSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const signal = value as Partial<AbortSignal> | null;
  if (
    typeof signal !== 'object' ||
    signal === null ||
    typeof signal.aborted !== 'boolean' ||
    typeof signal.addEventListener !== 'function' ||
    typeof signal.removeEventListener !== 'function'
  ) {
    throw invalidArgument(`${name} must be an AbortSignal`);
  }
  return signal as AbortSignal;
}

/**
 * The longest delay to hand a clock in one timer. Node fires longer `setTimeout`s after 1 ms
 * (with a TimeoutOverflowWarning), so longer waits are chained: the timer re-arms on firing.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The error every call on a closed service rejects with. */
export function closedError(what: string): TroupeError {
  return new TroupeError('ERR_CLOSED', `${what} is closed`);
}

/** Nesting deeper than this is refused (it also catches cycles without tracking them). */
const MAX_DEPTH = 256;

/**
 * A deeply frozen copy of a JSON value (null, boolean, finite number, string, array, plain
 * object), so stored entries cannot be changed through the caller's object or through a result.
 * Object properties whose value is `undefined` are dropped, as JSON does. Anything else
 * (functions, symbols, bigints, NaN, class instances, cycles) is refused: a remote backend
 * must be able to store the same value.
 */
export function frozenJsonCopy(value: unknown, name: string): unknown {
  return copy(value, name, 0);
}

function copy(value: unknown, path: string, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      break;
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_DEPTH) {
        throw invalidArgument(`${path} is nested too deeply or cyclic`);
      }
      if (Array.isArray(value)) {
        const out: unknown[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) throw invalidArgument(`${path}[${i}] must be a JSON value`);
          out[i] = copy(item, path, depth + 1);
        }
        return Object.freeze(out);
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) break;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue;
        const copied = copy(item, path, depth + 1);
        // A plain assignment to `__proto__` would set the prototype instead of a property.
        if (key === '__proto__') {
          Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true });
        } else {
          out[key] = copied;
        }
      }
      return Object.freeze(out);
    }
  }
  throw invalidArgument(
    `${path} must be a JSON value (null, boolean, finite number, string, array, plain object)`,
    {
      type: typeof value,
    },
  );
}
