/**
 * Secret detection and removal, by exact names and known value shapes, never by substring.
 *
 * A key is split into words (`OPENAI_API_KEY` → openai api key, `githubToken` → github token,
 * `x-api-key` → x api key) and is secret when:
 * - its last word is `password`, `passwd`, `secret`, `credential`, `credentials`,
 *   `authorization` or `cookie` (`DB_PASSWORD`, `client_secret`, `Authorization`);
 * - its last two words are `api key`, `private key`, `secret key` or `access key`;
 * - its last word is `token` (or `tokens` holding something other than a number) after
 *   another word that does not name a harmless token: `access_token`, `refresh_token`,
 *   `id_token`, `bearerToken`, `githubToken` are secret; `token` alone (a claim's fencing
 *   token), `fencingToken`, `nextToken`, `pageToken`, and counts like `inputTokens: 10` are not.
 *
 * A string value is secret, whatever its key, when it is (or contains) a known credential
 * shape: `sk-…` API keys (OpenAI, Anthropic), `Bearer …` headers, GitHub tokens (`ghp_…`),
 * Slack tokens (`xoxb-…`). The credential is replaced by `[redacted]` in place.
 */

const SECRET_LAST_WORDS: ReadonlySet<string> = new Set([
  'password',
  'passwd',
  'secret',
  'credential',
  'credentials',
  'authorization',
  'cookie',
]);

const SECRET_KEY_QUALIFIERS: ReadonlySet<string> = new Set(['api', 'private', 'secret', 'access']);

/** Words before `token` that name a token that is not a credential. */
const HARMLESS_TOKEN_QUALIFIERS: ReadonlySet<string> = new Set([
  'fencing',
  'next',
  'page',
  'continuation',
  'cancel',
  'cancellation',
  'claim',
  'sync',
  'resume',
  'max',
  'min',
  'total',
  'count',
  'input',
  'output',
  'cache',
  'reasoning',
  'completion',
  'prompt',
]);

/** Known credential shapes inside strings; each match is replaced by {@link REDACTED}. */
const SECRET_VALUE =
  /\bsk-[A-Za-z0-9_-]{16,}|\bBearer\s+[A-Za-z0-9._~+/=-]{8,}|\bgh[pousr]_[A-Za-z0-9]{20,}|\bxox[abposr]-[A-Za-z0-9-]{10,}/g;

/** Shortest string that can hold one of the {@link SECRET_VALUE} shapes. */
const SHORTEST_SECRET = 15;

/**
 * What a credential found inside a string value is replaced by.
 *
 * @example
 * ```ts
 * redactSecrets({ note: 'key sk-abcdefghijklmnopqrst' }); // { note: 'key [redacted]' }
 * ```
 */
export const REDACTED = '[redacted]';

// Keys repeat across snapshots (the same context shape every turn): remember each verdict.
// Bounded so a context with generated keys cannot grow it without limit.
const verdicts = new Map<string, NameVerdict>();
const MAX_CACHED_KEYS = 10_000;

/** 0: not secret; 1: secret; 2: secret unless the value is a number (a count of tokens). */
type NameVerdict = 0 | 1 | 2;

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

function judgeName(key: string): NameVerdict {
  const parts = words(key);
  const last = parts.at(-1);
  if (last === undefined) return 0;
  if (SECRET_LAST_WORDS.has(last)) return 1;
  const before = parts.at(-2);
  if (last === 'key') return before !== undefined && SECRET_KEY_QUALIFIERS.has(before) ? 1 : 0;
  if (last === 'apikey' || last === 'privatekey') return 1;
  if (last === 'token' || last === 'tokens') {
    if (before === undefined || HARMLESS_TOKEN_QUALIFIERS.has(before)) return 0;
    return last === 'tokens' ? 2 : 1;
  }
  return 0;
}

function nameVerdict(key: string): NameVerdict {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = judgeName(key);
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
 * isSecretKey('access_token', 'eyJ...');   // true
 * isSecretKey('token', 42);                // false: a claim's fencing token
 * isSecretKey('inputTokens', 4096);        // false: a count, not a token
 * ```
 */
export function isSecretKey(key: string, value?: unknown): boolean {
  const verdict = nameVerdict(key);
  return verdict === 1 || (verdict === 2 && typeof value !== 'number');
}

/**
 * Returns `value` with every secret-named property removed and every known credential shape
 * inside a string replaced by {@link REDACTED}, at any depth (objects and arrays). The input is
 * never mutated. Copy-on-write: a branch with nothing to remove is returned as is, so
 * redacting a clean value allocates nothing. Values with a `toJSON` (dates) are kept whole.
 *
 * @example
 * ```ts
 * redactSecrets({ repo: 'troupe', github: { access_token: 'ghp_x', user: 'ann' }, token: 7 });
 * // → { repo: 'troupe', github: { user: 'ann' }, token: 7 }
 * ```
 */
export function redactSecrets<T>(value: T): T {
  return redact(value, 0) as T;
}

// Deeper than any stored value (MAX_JSON_DEPTH is 256); stops a cyclic value from overflowing
// the stack.
const MAX_DEPTH = 300;

function redactString(text: string): string {
  if (text.length < SHORTEST_SECRET) return text;
  SECRET_VALUE.lastIndex = 0;
  if (!SECRET_VALUE.test(text)) return text;
  return text.replace(SECRET_VALUE, REDACTED);
}

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
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
  // for-in with an own-property check: Object.keys' keys, in its order, without the array.
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    const item = source[key];
    if (isSecretKey(key, item)) {
      out ??= copyUntil(source, key);
      continue;
    }
    const clean = redact(item, depth + 1);
    if (clean !== item) out ??= copyUntil(source, key);
    if (out !== undefined) setKey(out, key, clean);
  }
  return out ?? value;
}

/** A plain copy of the own properties before `stop` (all of them clean so far). */
function copyUntil(source: Record<string, unknown>, stop: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in source) {
    if (key === stop) break;
    if (Object.hasOwn(source, key)) setKey(out, key, source[key]);
  }
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
