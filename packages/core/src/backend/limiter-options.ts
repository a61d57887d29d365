// Validation of rate limiter options and calls, shared by every LimiterBackend (the in-memory
// limiter and @troupe/redis): same checks, same messages, same codes.

import { invalidArgument, TroupeError } from '../errors.js';
import type { LimitReason, RateLimitRule } from './interfaces.js';
import { checkOptionNames, requireRecord } from './validate.js';

// Kept at this path for the modules that import it from here.

/**
 * Costs are kept as integers in nano-dollars (1e-9 USD) so that sums, settles and refunds are
 * exact: with floats, `(a + b) - b` can leave `-1e-17` behind and counters would drift.
 *
 * @example
 * ```ts
 * const costUsd = nanos / NANOS_PER_USD;
 * ```
 */
export const NANOS_PER_USD = 1e9;

/**
 * The largest count of requests or tokens one weight, one settle or one rule limit may name:
 * 10^12. Bigger numbers are refused with `ERR_INVALID_ARGUMENT`, so no sum of them can leave
 * the range where doubles count exactly.
 *
 * @example
 * ```ts
 * limiter.tryAcquire('openai', { tokens: MAX_LIMIT_UNITS + 1 }); // ERR_INVALID_ARGUMENT
 * ```
 */
export const MAX_LIMIT_UNITS = 1_000_000_000_000;

/**
 * The largest `costUsd` one weight or one settle may carry, and the largest rule `budgetUsd`:
 * one million dollars (10^15 nanos). Bigger amounts are refused with `ERR_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * lease.settle({ costUsd: 1.8e299 }); // ERR_INVALID_ARGUMENT: above MAX_COST_USD
 * ```
 */
export const MAX_COST_USD = 1_000_000;

/**
 * The most a counter of one key may hold, in any dimension (requests, tokens, nanos):
 * `Number.MAX_SAFE_INTEGER`, the last integer a double holds exactly. A dimension a rule does
 * not limit is limited at this: an admission that would pass it is refused like any other
 * (it clears when entries leave the window), and a settle that would pass it is refused with
 * `ERR_LIMIT_EXCEEDS_CAPACITY`. So counters are always exact sums of their live entries.
 *
 * @example
 * ```ts
 * const exact = used + weight <= MAX_COUNTER;
 * ```
 */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

const RULE_FIELDS = new Set(['key', 'windowMs', 'requests', 'tokens', 'budgetUsd']);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isPositive = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0;

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/** A count of requests or tokens in one weight or settle: an integer in [0, MAX_LIMIT_UNITS]. */
const isUnits = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_LIMIT_UNITS;

/** A dollar amount in one weight or settle: a finite number in [0, MAX_COST_USD]. */
const isCost = (value: unknown): value is number =>
  typeof value === 'number' && value >= 0 && value <= MAX_COST_USD;

const UNITS_TEXT = `a non-negative integer of at most ${MAX_LIMIT_UNITS}`;
const COST_TEXT = `a non-negative finite number of at most ${MAX_COST_USD}`;

/**
 * Converts a dollar amount to integer nanos (see {@link NANOS_PER_USD}).
 *
 * @example
 * ```ts
 * toNanos(0.25); // 250000000
 * ```
 */
export const toNanos = (usd: number): number => Math.round(usd * NANOS_PER_USD);

/**
 * One parsed rule: `Infinity` where the rule does not limit (for `windowMs`: a lifetime rule).
 *
 * @example
 * ```ts
 * const [spec] = parseRules({ rules: [{ key: 'team', budgetUsd: 5 }] }, new Set(['rules']));
 * console.log(spec.windowMs, spec.maxCost); // Infinity 5000000000
 * ```
 */
export interface RuleSpec {
  readonly key: string;
  readonly windowMs: number;
  readonly maxRequests: number;
  readonly maxTokens: number;
  /** Nanos. */
  readonly maxCost: number;
}

/**
 * Validates `options.rules` (and that `options` names nothing outside `allowed`), naming the
 * offending option. The caller checks that `options` is an object and validates the rest.
 *
 * @example
 * ```ts
 * const specs = parseRules(options, new Set(['clock', 'rules', 'redis']));
 * ```
 */
export function parseRules(
  options: Record<string, unknown>,
  allowed: ReadonlySet<string>,
): RuleSpec[] {
  checkOptionNames(options, allowed, 'rate limiter');
  const rules = options.rules ?? [];
  if (!Array.isArray(rules)) throw invalidArgument('options.rules must be an array of rules');
  const seen = new Set<string>();
  return rules.map((rule: unknown, i: number): RuleSpec => {
    const at = `options.rules[${i}]`;
    if (!isObject(rule)) throw invalidArgument(`${at} must be an object`, { rule });
    checkOptionNames(rule as Record<string, unknown>, RULE_FIELDS, 'rule', at);
    const { key, windowMs, requests, tokens, budgetUsd } = rule as Partial<RateLimitRule>;
    if (typeof key !== 'string' || key.length === 0) {
      throw invalidArgument(`${at}.key must be a non-empty string`, { key });
    }
    if (seen.has(key))
      throw invalidArgument(`${at}.key '${key}' is named by an earlier rule`, { key });
    seen.add(key);
    if (windowMs !== undefined && !isPositive(windowMs)) {
      throw invalidArgument(`${at}.windowMs must be a positive finite number`, { windowMs });
    }
    for (const [name, value] of [
      ['requests', requests],
      ['tokens', tokens],
    ] as const) {
      if (value === undefined) continue;
      if (!isPositiveInteger(value) || value > MAX_LIMIT_UNITS) {
        throw invalidArgument(
          `${at}.${name} must be a positive integer of at most ${MAX_LIMIT_UNITS}`,
          {
            [name]: value,
          },
        );
      }
      if (windowMs === undefined) {
        throw invalidArgument(`${at}.${name} needs ${at}.windowMs (a limit per window)`, {
          [name]: value,
        });
      }
    }
    if (budgetUsd !== undefined && !(isPositive(budgetUsd) && budgetUsd <= MAX_COST_USD)) {
      throw invalidArgument(
        `${at}.budgetUsd must be a positive finite number of at most ${MAX_COST_USD}`,
        { budgetUsd },
      );
    }
    if (requests === undefined && tokens === undefined && budgetUsd === undefined) {
      throw invalidArgument(`${at} limits nothing: give requests, tokens or budgetUsd`, { key });
    }
    const inf = Number.POSITIVE_INFINITY;
    return {
      key,
      windowMs: windowMs ?? inf,
      maxRequests: requests ?? inf,
      maxTokens: tokens ?? inf,
      maxCost: budgetUsd === undefined ? inf : toNanos(budgetUsd),
    };
  });
}

/**
 * Normalizes `keys` (a key or a non-empty array of distinct keys) into a frozen array.
 *
 * @example
 * ```ts
 * parseKeys('openai'); // ['openai']
 * parseKeys(['openai', 'team']); // ['openai', 'team']
 * ```
 */
export function parseKeys(keys: unknown): readonly string[] {
  if (typeof keys === 'string') {
    if (keys.length === 0) throw invalidArgument('keys must not be empty', { keys });
    return [keys];
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    throw invalidArgument('keys must be a non-empty string or a non-empty array of them', { keys });
  }
  for (let i = 0; i < keys.length; i++) {
    const key: unknown = keys[i];
    if (typeof key !== 'string' || key.length === 0) {
      throw invalidArgument(`keys[${i}] must be a non-empty string`, { key });
    }
    if (keys.indexOf(key) !== i) throw invalidArgument(`keys[${i}] repeats '${key}'`, { key });
  }
  return Object.freeze([...(keys as string[])]);
}

/**
 * A parsed weight: requests, tokens and cost in nanos.
 *
 * @example
 * ```ts
 * const weight: Weight = { requests: 1, tokens: 0, cost: 0 };
 * ```
 */
export interface Weight {
  requests: number;
  tokens: number;
  cost: number;
}

/**
 * Validates `tryAcquire` / `acquire` options into `out` (reused to spare an allocation on the
 * hot path). Unknown option names are refused: a typo like `token: 500` must not pass silently.
 * `allowWait` admits the `acquire`-only options (`signal`, `maxWaitMs`).
 *
 * @example
 * ```ts
 * const weight: Weight = { requests: 1, tokens: 0, cost: 0 };
 * parseWeight({ tokens: 1_200 }, weight, false); // weight.tokens === 1200
 * ```
 */
export function parseWeight(options: unknown, out: Weight, allowWait: boolean): void {
  out.requests = 1;
  out.tokens = 0;
  out.cost = 0;
  if (options === undefined) return;
  const record = requireRecord(options, 'options');
  // for-in over a small literal is cheaper than Object.keys (no array) and sees every field.
  for (const name in record) {
    const value = record[name];
    switch (name) {
      case 'requests':
      case 'tokens':
        if (value === undefined) break;
        if (!isUnits(value)) {
          throw invalidArgument(`options.${name} must be ${UNITS_TEXT}`, { [name]: value });
        }
        out[name] = value;
        break;
      case 'costUsd':
        if (value === undefined) break;
        if (!isCost(value)) {
          throw invalidArgument(`options.costUsd must be ${COST_TEXT}`, { costUsd: value });
        }
        out.cost = toNanos(value);
        break;
      case 'signal':
        if (!allowWait) throw invalidArgument('options.signal is an acquire() option');
        if (value !== undefined && !(value instanceof AbortSignal)) {
          throw invalidArgument('options.signal must be an AbortSignal');
        }
        break;
      case 'maxWaitMs':
        if (!allowWait) throw invalidArgument('options.maxWaitMs is an acquire() option');
        if (value !== undefined && !(typeof value === 'number' && value >= 0)) {
          throw invalidArgument('options.maxWaitMs must be a non-negative number', {
            maxWaitMs: value,
          });
        }
        break;
      default:
        throw invalidArgument(`options.${name} is not a limiter option`, { option: name });
    }
  }
}

/**
 * Validates a `lease.settle` argument; returns the new tokens and cost (nanos) if given.
 *
 * @example
 * ```ts
 * parseSettle({ tokens: 950, costUsd: 0.01 }); // { tokens: 950, cost: 10000000 }
 * ```
 */
export function parseSettle(actual: unknown): { tokens?: number; cost?: number } {
  if (!isObject(actual)) throw invalidArgument('settle takes an object { tokens?, costUsd? }');
  const out: { tokens?: number; cost?: number } = {};
  for (const name in actual) {
    const value = actual[name];
    if (value === undefined) continue;
    if (name === 'tokens') {
      if (!isUnits(value)) {
        throw invalidArgument(`settle tokens must be ${UNITS_TEXT}`, { tokens: value });
      }
      out.tokens = value;
    } else if (name === 'costUsd') {
      if (!isCost(value)) {
        throw invalidArgument(`settle costUsd must be ${COST_TEXT}`, { costUsd: value });
      }
      out.cost = toNanos(value);
    } else {
      throw invalidArgument(`settle option ${name} is not known (tokens, costUsd)`, {
        option: name,
      });
    }
  }
  return out;
}

/**
 * Refuses a weight larger than a rule's whole limit on some dimension: it could never be
 * admitted, so it is `ERR_LIMIT_EXCEEDS_CAPACITY` at once instead of a wait. The first
 * dimension over (requests, tokens, budget) is named.
 *
 * @example
 * ```ts
 * for (const key of keys) {
 *   const rule = rules.get(key);
 *   if (rule !== undefined) checkCapacity(rule, weight); // throws before anything is reserved
 * }
 * ```
 */
export function checkCapacity(rule: RuleSpec, weight: Weight): void {
  const reason: LimitReason | undefined =
    weight.requests > rule.maxRequests
      ? 'requests'
      : weight.tokens > rule.maxTokens
        ? 'tokens'
        : weight.cost > rule.maxCost
          ? 'budget'
          : undefined;
  if (reason === undefined) return;
  const limit =
    reason === 'requests'
      ? rule.maxRequests
      : reason === 'tokens'
        ? rule.maxTokens
        : rule.maxCost / NANOS_PER_USD;
  const asked =
    reason === 'requests'
      ? weight.requests
      : reason === 'tokens'
        ? weight.tokens
        : weight.cost / NANOS_PER_USD;
  throw new TroupeError(
    'ERR_LIMIT_EXCEEDS_CAPACITY',
    `${reason} ${asked} is more than key '${rule.key}' allows in total (${limit})`,
    { details: { key: rule.key, reason, limit, requested: asked } },
  );
}
