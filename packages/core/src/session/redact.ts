/**
 * Secret-key detection and removal. A key is secret when, lower-cased with `-`, `_`, `.` and
 * spaces removed, it contains one of {@link SECRET_MARKERS}: `apiKey`, `OPENAI_API_KEY`,
 * `x-api-key`, `githubToken`, `Authorization`, `client_secret`, `credentials`, `dbPassword`.
 * One exception keeps token *counts*: a key ending in `tokens` whose value is a number
 * (`maxTokens`, `inputTokens`) is not a secret.
 */
const SECRET_MARKERS = [
  'apikey',
  'token',
  'secret',
  'password',
  'passwd',
  'authorization',
  'credential',
  'privatekey',
] as const;

const SEPARATORS = /[-_.\s]/g;

// Keys repeat across snapshots (the same context shape every turn): remember each verdict.
// Bounded so a context with generated keys cannot grow it without limit.
const verdicts = new Map<string, boolean>();
const MAX_CACHED_KEYS = 10_000;

function secretName(key: string): boolean {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    const folded = key.toLowerCase().replace(SEPARATORS, '');
    verdict = SECRET_MARKERS.some((marker) => folded.includes(marker));
    if (verdicts.size >= MAX_CACHED_KEYS) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * True when a property named `key` holding `value` must never be persisted.
 *
 * @example
 * ```ts
 * isSecretKey('OPENAI_API_KEY', 'sk-...'); // true
 * isSecretKey('maxTokens', 4096);          // false: a count, not a token
 * ```
 */
export function isSecretKey(key: string, value?: unknown): boolean {
  if (!secretName(key)) return false;
  return !(typeof value === 'number' && key.toLowerCase().endsWith('tokens'));
}

/**
 * Returns `value` with every secret-named property removed, at any depth (objects and arrays).
 * The input is never mutated. Copy-on-write: a branch with nothing to remove is returned as is,
 * so redacting a clean context allocates nothing. Values with a `toJSON` (dates) are kept whole.
 *
 * @example
 * ```ts
 * redactSecrets({ repo: 'troupe', github: { token: 'ghp_x', user: 'ann' } });
 * // → { repo: 'troupe', github: { user: 'ann' } }
 * ```
 */
export function redactSecrets<T>(value: T): T {
  return redact(value, 0) as T;
}

// Deeper than any real context; stops a cyclic value from overflowing the stack.
const MAX_DEPTH = 200;

function redact(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const clean = redact(item, depth + 1);
      if (clean !== item && out === undefined) out = value.slice(0, i);
      if (out !== undefined) out.push(clean);
    }
    return out ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const source = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = source[key];
    if (isSecretKey(key, item)) {
      out ??= copyKeys(source, keys, i);
      continue;
    }
    const clean = redact(item, depth + 1);
    if (clean !== item) out ??= copyKeys(source, keys, i);
    if (out !== undefined) setKey(out, key, clean);
  }
  return out ?? value;
}

/** A plain copy of the first `count` properties (all of them clean so far). */
function copyKeys(source: Record<string, unknown>, keys: readonly string[], count: number) {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) setKey(out, keys[i]!, source[keys[i]!]);
  return out;
}

// An own `__proto__` key (JSON.parse makes them) must stay data, not become the prototype.
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[key] = value;
  }
}
