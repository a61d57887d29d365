// Input checks shared by every SharedStateBackend and BusBackend (in memory and remote). Each
// throws ERR_INVALID_ARGUMENT naming the offending field, before anything is stored.
import type { Clock } from '../clock.js';
import { invalidArgument, TroupeError } from '../errors.js';

/**
 * A non-empty string (agent, resource, topic names).
 *
 * @example
 * ```ts
 * const agent = requireName(request.agent, 'agent'); // throws 'agent must be a non-empty string'
 * ```
 */
export function requireName(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArgument(`${name} must be a non-empty string`, { [name]: value });
  }
  return value;
}

/**
 * A non-negative safe integer (range bounds, sequence numbers).
 *
 * @example
 * ```ts
 * const afterSeq = requireIndex(options.afterSeq, 'afterSeq');
 * ```
 */
export function requireIndex(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative integer`, { [name]: value });
  }
  return value;
}

/**
 * A positive safe integer (limits).
 *
 * @example
 * ```ts
 * const limit = requirePositiveInteger(options.limit, 'limit');
 * ```
 */
export function requirePositiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidArgument(`${name} must be a positive integer`, { [name]: value });
  }
  return value;
}

/**
 * A positive finite number of milliseconds (TTLs).
 *
 * @example
 * ```ts
 * const ttlMs = requireDuration(request.ttlMs, 'ttlMs');
 * ```
 */
export function requireDuration(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(`${name} must be a positive finite number of milliseconds`, {
      [name]: value,
    });
  }
  return value;
}

/**
 * A non-negative finite number of milliseconds (timeouts: 0 means "do not wait").
 *
 * @example
 * ```ts
 * const timeoutMs = requireDelay(options.timeoutMs, 'timeoutMs');
 * ```
 */
export function requireDelay(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative finite number of milliseconds`, {
      [name]: value,
    });
  }
  return value;
}

/**
 * An options or request object (not null, not an array).
 *
 * @example
 * ```ts
 * const req = requireRecord(request, 'request'); // throws 'request must be an object'
 * ```
 */
export function requireRecord(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`${name} must be an object`, { [name]: value });
  }
  return value as Record<string, unknown>;
}

/**
 * Refuses option names outside `allowed`, naming the first unknown one: a misspelt option
 * (`flushIntervalMS`, `seeed`) must never be ignored silently. `what` names the options in the
 * message (`'rate limiter'` gives "options.x is not a rate limiter option"). One helper so
 * every factory of every package says it the same way.
 *
 * @example
 * ```ts
 * const record = requireRecord(options, 'options');
 * checkOptionNames(record, new Set(['store', 'clock']), 'session log');
 * ```
 */
export function checkOptionNames(
  options: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  what: string,
  prefix = 'options',
): void {
  for (const name of Object.keys(options)) {
    if (!allowed.has(name)) {
      throw invalidArgument(
        `${prefix}.${name} is not a ${what} option (known: ${[...allowed].join(', ') || 'none'})`,
        { option: name },
      );
    }
  }
}

/**
 * Optional options object: `undefined` reads as `{}`.
 *
 * @example
 * ```ts
 * const q = optionalRecord(query, 'query');
 * ```
 */
export function optionalRecord(value: unknown, name: string): Record<string, unknown> {
  return value === undefined ? {} : requireRecord(value, name);
}

/**
 * Something shaped like a {@link Clock} (`now`, `setTimeout`, `clearTimeout`).
 *
 * @example
 * ```ts
 * const clock = requireClock(options.clock); // throws 'options.clock must be a Clock (...)'
 * ```
 */
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

/**
 * An `AbortSignal` (or `undefined`).
 *
 * @example
 * ```ts
 * const signal = optionalSignal(options.signal, 'signal');
 * ```
 */
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
 *
 * @example
 * ```ts
 * clock.setTimeout(onTimeout, Math.min(timeoutMs, MAX_TIMER_MS));
 * ```
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * The error every call on a closed service rejects with (`ERR_CLOSED`, "<what> is closed").
 *
 * @example
 * ```ts
 * if (closed) throw closedError('bus');
 * ```
 */
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
 *
 * @example
 * ```ts
 * const body = frozenJsonCopy(message.body, 'body');
 * ```
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

/**
 * The JSON text of a JSON value, refused exactly as {@link frozenJsonCopy} refuses it: what a
 * remote backend stores for a body or content the in-memory one would accept.
 *
 * @example
 * ```ts
 * const text = jsonText(message.body, 'body'); // store `text`; JSON.parse it when read back
 * ```
 */
export function jsonText(value: unknown, name: string): string {
  return JSON.stringify(copy(value, name, 0));
}
