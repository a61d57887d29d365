// Input checks, mirroring @troupe/core's in-memory backends exactly (same messages and codes),
// so both pass the same contract suites. Each throws ERR_INVALID_ARGUMENT naming the field.
import { invalidArgument, TroupeError } from '@troupe/core';

export function requireName(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArgument(`${name} must be a non-empty string`, { [name]: value });
  }
  return value;
}

export function requireIndex(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative integer`, { [name]: value });
  }
  return value;
}

export function requirePositiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidArgument(`${name} must be a positive integer`, { [name]: value });
  }
  return value;
}

export function requireDuration(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(`${name} must be a positive finite number of milliseconds`, {
      [name]: value,
    });
  }
  return value;
}

export function requireDelay(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative finite number of milliseconds`, {
      [name]: value,
    });
  }
  return value;
}

export function requireRecord(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`${name} must be an object`, { [name]: value });
  }
  return value as Record<string, unknown>;
}

export function optionalRecord(value: unknown, name: string): Record<string, unknown> {
  return value === undefined ? {} : requireRecord(value, name);
}

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

export function closedError(what: string): TroupeError {
  return new TroupeError('ERR_CLOSED', `${what} is closed`);
}

const MAX_DEPTH = 256;

/**
 * The JSON text of a JSON value (null, boolean, finite number, string, array, plain object),
 * refusing anything JSON would silently change (functions, NaN, Map, cycles, undefined items).
 * Object properties whose value is `undefined` are dropped, as JSON does.
 */
export function jsonText(value: unknown, name: string): string {
  check(value, name, 0);
  return JSON.stringify(value);
}

function check(value: unknown, path: string, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (Number.isFinite(value)) return;
      break;
    case 'object': {
      if (value === null) return;
      if (depth >= MAX_DEPTH) throw invalidArgument(`${path} is nested too deeply or cyclic`);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) throw invalidArgument(`${path}[${i}] must be a JSON value`);
          check(item, path, depth + 1);
        }
        return;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) break;
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item !== undefined) check(item, path, depth + 1);
      }
      return;
    }
  }
  throw invalidArgument(
    `${path} must be a JSON value (null, boolean, finite number, string, array, plain object)`,
    {
      type: typeof value,
    },
  );
}

/** Deeply frozen parse of stored JSON text: results cannot be changed by callers. */
export function parseFrozen(text: string): unknown {
  return deepFreeze(JSON.parse(text));
}

function deepFreeze(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
