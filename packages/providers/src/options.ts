import type { Clock, Rng, TroupeError } from '@troupe/core';
import { createRng, invalidArgument, systemClock } from '@troupe/core';
import { requireClock } from '@troupe/core/backend';
import type { Dispatcher } from 'undici';
import { DEFAULT_CONNECTIONS } from './pool.js';
import type { Pricing } from './pricing.js';
import { validatePricing } from './pricing.js';
import type { RetryPolicy } from './retry-policy.js';
import { retryPolicy } from './retry-policy.js';

/**
 * What `onRetry` hears before each retry's wait.
 *
 * @example
 * ```ts
 * const model = anthropic({ apiKey, model: 'claude-sonnet-4-5', onRetry: (info: RetryInfo) => {
 *   console.warn(`retry ${info.attempt} in ${info.delayMs} ms: ${info.error.code}`);
 * } });
 * ```
 */
export interface RetryInfo {
  /** 1 for the first retry. */
  readonly attempt: number;
  /** How long the call waits before retrying (retry-after, or backoff with jitter). */
  readonly delayMs: number;
  /** The failure being retried. */
  readonly error: TroupeError;
}

/**
 * Options both providers share: time, retries, pooling, pricing.
 *
 * @example
 * ```ts
 * const shared: ProviderOptions = { timeoutMs: 120_000, maxRetries: 4, connections: 8 };
 * ```
 */
export interface ProviderOptions {
  /** Source of time for every timeout and backoff. Default `systemClock`. */
  readonly clock?: Clock;
  /** Whole call, retries and backoff included. Default 300 000 ms. `Infinity` disables. */
  readonly timeoutMs?: number;
  /** From sending a request until its response headers arrive. Default 120 000 ms. */
  readonly firstByteTimeoutMs?: number;
  /** Longest silence between two pieces of a response body. Default 60 000 ms. */
  readonly idleTimeoutMs?: number;
  /** Retries after the first attempt, on 429, 5xx and connection resets. Default 2. */
  readonly maxRetries?: number;
  /** Backoff before retry n is about `retryBaseDelayMs * 2^(n-1)`, jittered. Default 500 ms. */
  readonly retryBaseDelayMs?: number;
  /** Cap on the backoff (not on retry-after). Default 8 000 ms. */
  readonly retryMaxDelayMs?: number;
  /**
   * A retry-after longer than this is not waited out: the call fails at once. Also the cap on
   * every wait the provider's headers report to `onRateLimit` (the limiter never pauses a key
   * longer on one answer's word). Default 60 000 ms.
   */
  readonly maxRetryAfterMs?: number;
  /** Jitter source; pass a seeded one for reproducible backoff. Default: seeded from `seed`. */
  readonly rng?: Rng;
  /** Seed for the default jitter source. Default: random. */
  readonly seed?: number | string;
  /** Bound on the shared keep-alive pool for this origin (first model to use it sets it). Default 20. */
  readonly connections?: number;
  /** Use this undici dispatcher instead of the shared pool (proxies, tests, benchmarks). */
  readonly dispatcher?: Dispatcher;
  /** Extra request headers, sent on every call. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Prices used to fill `usage.costUsd`. */
  readonly pricing?: Pricing;
  /** `'auto'` (default) streams when the request has `onDelta`; `true`/`false` force it. */
  readonly stream?: boolean | 'auto';
  /** Overrides the model's `id`. */
  readonly id?: string;
  /** Called before each retry's wait (logging, tests). */
  readonly onRetry?: (info: RetryInfo) => void;
}

/** {@link ProviderOptions} after validation, defaults filled in. */
export interface ResolvedOptions extends RetryPolicy {
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly firstByteTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly rng: Rng;
  readonly connections: number;
  readonly dispatcher: Dispatcher | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly pricing: Pricing | undefined;
  readonly stream: boolean | 'auto';
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
}

function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw invalidArgument(`${name} must be a positive number of milliseconds (or Infinity)`, {
      [name]: value,
    });
  }
  return value;
}

/** The option names every provider takes. */
export const SHARED_OPTIONS: readonly (keyof ProviderOptions)[] = [
  'clock',
  'timeoutMs',
  'firstByteTimeoutMs',
  'idleTimeoutMs',
  'maxRetries',
  'retryBaseDelayMs',
  'retryMaxDelayMs',
  'maxRetryAfterMs',
  'rng',
  'seed',
  'connections',
  'dispatcher',
  'headers',
  'pricing',
  'stream',
  'id',
  'onRetry',
];

/**
 * Options are an object and strict: a misspelt name (`timeoutMS`, `apikey`) is refused instead
 * of ignored.
 */
export function checkOptionNames(
  factory: string,
  options: unknown,
  own: readonly string[],
): asserts options is object {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  const known = new Set<string>([...SHARED_OPTIONS, ...own]);
  for (const name of Object.keys(options)) {
    if (!known.has(name))
      throw invalidArgument(`${factory}: unknown option ${JSON.stringify(name)}`, { option: name });
  }
}

// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Refuses a header value undici would refuse later on every call (CR, LF, NUL), naming the
 * option. The value itself is never echoed: it is often a credential.
 */
export function headerValue(name: string, value: string): string {
  if (/[\r\n\0]/.test(value))
    throw invalidArgument(`${name} must not contain CR, LF or NUL characters`, { option: name });
  return value;
}

/** Validates the shared options once, naming the offending option. */
export function resolveOptions(options: ProviderOptions): ResolvedOptions {
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  if (!Number.isInteger(connections) || connections < 1) {
    throw invalidArgument('connections must be a positive integer', { connections });
  }
  if (
    options.stream !== undefined &&
    options.stream !== 'auto' &&
    typeof options.stream !== 'boolean'
  ) {
    throw invalidArgument("stream must be true, false or 'auto'", { stream: options.stream });
  }
  const clock = options.clock === undefined ? systemClock : requireClock(options.clock, 'clock');
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function')
    throw invalidArgument('onRetry must be a function', { onRetry: options.onRetry });
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === ''))
    throw invalidArgument('id must be a non-empty string', { id: options.id });
  if (options.rng !== undefined && typeof (options.rng as Partial<Rng>).next !== 'function')
    throw invalidArgument('rng must be an Rng (next, int, fork)');
  // `request` is the one Dispatcher method the providers call, so it is what is checked.
  if (
    options.dispatcher !== undefined &&
    typeof (options.dispatcher as Partial<Dispatcher>).request !== 'function'
  )
    throw invalidArgument('dispatcher must be an undici Dispatcher (with request)');
  if (options.headers !== undefined) {
    if (typeof options.headers !== 'object' || options.headers === null)
      throw invalidArgument('headers must be an object of strings');
    for (const [key, value] of Object.entries(options.headers)) {
      if (!HEADER_NAME.test(key))
        throw invalidArgument(`headers: ${JSON.stringify(key)} is not a valid header name`);
      if (typeof value !== 'string')
        throw invalidArgument(`headers.${key} must be a string`, { [key]: typeof value });
      headerValue(`headers.${key}`, value);
    }
  }
  validatePricing(options.pricing);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (typeof seed === 'number' && !Number.isFinite(seed))
    throw invalidArgument('seed must be a finite number or a string', { seed });
  return {
    clock,
    timeoutMs: duration('timeoutMs', options.timeoutMs, 300_000),
    firstByteTimeoutMs: duration('firstByteTimeoutMs', options.firstByteTimeoutMs, 120_000),
    idleTimeoutMs: duration('idleTimeoutMs', options.idleTimeoutMs, 60_000),
    ...retryPolicy(options),
    rng: options.rng ?? createRng(seed),
    connections,
    dispatcher: options.dispatcher,
    headers: { ...options.headers },
    pricing: options.pricing,
    stream: options.stream ?? 'auto',
    onRetry: options.onRetry,
  };
}

/** Parses a base URL option into an origin and a path prefix without a trailing slash. */
export function parseBaseURL(name: string, value: unknown): { origin: string; basePath: string } {
  if (typeof value !== 'string' || value === '')
    throw invalidArgument(`${name} must be a URL string`, { [name]: value });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(`${name} must be a valid URL`, { [name]: value });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidArgument(`${name} must be an http or https URL`, { [name]: value });
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

/** Checks a required non-empty string option. */
export function requireString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw invalidArgument(`${name} must be a non-empty string`, { [name]: value });
  return value;
}
