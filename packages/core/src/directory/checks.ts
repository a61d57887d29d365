// Input checks of every TeamDirectory (memory, Redis): the same refusals, before anything
// changes. Public so that remote implementations use these instead of copying them.
import { jsonText, requireDuration, requireName, requireRecord } from '../backend/validate.js';
import { invalidArgument } from '../errors.js';

/**
 * The longest agent or host name a directory accepts, in UTF-16 code units. Names become parts
 * of keys on remote backends; a bound keeps every key small.
 *
 * @example
 * ```ts
 * if (name.length > MAX_DIRECTORY_NAME) throw new Error('too long');
 * ```
 */
export const MAX_DIRECTORY_NAME = 256;

/**
 * The default host lease, ms: a host that stops beating is dead this long after its last beat.
 *
 * @example
 * ```ts
 * const directory = createMemoryDirectory({ clock, hostTtlMs: DEFAULT_HOST_TTL_MS });
 * ```
 */
export const DEFAULT_HOST_TTL_MS = 10_000;

/** With the `u` flag a well-formed pair is one code point, so only lone halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A name that becomes part of a key: a non-empty, well-formed string (no lone surrogate, which
 * would be merged with other names once encoded as UTF-8) of at most `maxLength` UTF-16 units.
 *
 * @example
 * ```ts
 * const topic = requireBoundedName(input, 'topic', 1_024);
 * ```
 */
export function requireBoundedName(value: unknown, name: string, maxLength: number): string {
  const text = requireName(value, name);
  if (text.length > maxLength) {
    throw invalidArgument(`${name} must be at most ${maxLength} characters`, {
      length: text.length,
    });
  }
  if (LONE_SURROGATE.test(text)) {
    throw invalidArgument(`${name} must not contain a lone surrogate`, { [name]: text });
  }
  return text;
}

/**
 * An agent or host name: {@link requireBoundedName} with {@link MAX_DIRECTORY_NAME}.
 *
 * @example
 * ```ts
 * const name = checkDirectoryName(registration.name, 'name');
 * ```
 */
export function checkDirectoryName(value: unknown, name: string): string {
  return requireBoundedName(value, name, MAX_DIRECTORY_NAME);
}

/**
 * The fields of a {@link DirectoryRegistration}, checked; `definition` as JSON text (`'null'`
 * when absent), refused when it is not JSON.
 *
 * @example
 * ```ts
 * const { name, host, definition } = parseRegistration(registration);
 * ```
 */
export function parseRegistration(registration: unknown): {
  name: string;
  host: string;
  definition: string;
} {
  const record = requireRecord(registration, 'registration');
  const name = checkDirectoryName(record.name, 'name');
  const host = checkDirectoryName(record.host, 'host');
  const definition = definitionText(record.definition);
  return { name, host, definition };
}

function definitionText(value: unknown): string {
  return value === undefined ? 'null' : jsonText(value, 'definition');
}

/**
 * The `hostTtlMs` option: a positive finite number of ms, default {@link DEFAULT_HOST_TTL_MS}.
 *
 * @example
 * ```ts
 * const hostTtlMs = parseHostTtl(options.hostTtlMs);
 * ```
 */
export function parseHostTtl(value: unknown): number {
  return value === undefined ? DEFAULT_HOST_TTL_MS : requireDuration(value, 'options.hostTtlMs');
}

/**
 * The optional `{ host }` filter of `agents()`.
 *
 * @example
 * ```ts
 * const { host } = parseDirectoryQuery(query);
 * ```
 */
export function parseDirectoryQuery(query: unknown): { host: string | undefined } {
  if (query === undefined) return { host: undefined };
  const record = requireRecord(query, 'query');
  return {
    host: record.host === undefined ? undefined : checkDirectoryName(record.host, 'query.host'),
  };
}
