import { type Clock, invalidArgument, type Model, type RateLimitRule } from '@troupe/core';
import { parseTeamScenario, type TeamScenario, type TeamScenarioInput } from '@troupe/sim';
import { budget, checkLimits, nonNegativeInt, positiveInt, positiveMs } from './suite.js';

/**
 * A rehearsal: the suite on a simulated clock with policy models in place of the model and
 * stubs in place of tools.
 *
 * @example
 * ```ts
 * const simulate: SimulateOptions = { seed: 7, scenario: { policy: { latencyMs: { median: 900, p95: 4_000 } } } };
 * ```
 */
export interface SimulateOptions {
  /** A @troupe/sim team scenario (its policy, per-agent policies, stubs, limits, stop). */
  readonly scenario?: TeamScenario | TeamScenarioInput;
  /** Default: the scenario's seed. */
  readonly seed?: number;
}

/**
 * What {@link runEval} takes. Limits given here replace the suite's; the rest override it.
 *
 * @example
 * ```ts
 * const options: RunEvalOptions = { out: 'runs/today', model, concurrency: 16, budgetUsd: 20 };
 * ```
 */
export interface RunEvalOptions {
  /** The output directory: results.jsonl, summary.json, report.html. Running again resumes. */
  readonly out: string;
  /** The model handed to the team factory (required unless simulating). */
  readonly model?: Model;
  /** Default `systemClock` (a rehearsal uses its own simulated clock). */
  readonly clock?: Clock;
  readonly concurrency?: number;
  readonly limits?: readonly RateLimitRule[];
  readonly budgetUsd?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** Where progress lines go (default `process.stderr`); `false` for none. */
  readonly progress?: NodeJS.WritableStream | false;
  /** Stops starting tasks and cancels those running (they are not counted finished). */
  readonly signal?: AbortSignal;
  readonly simulate?: SimulateOptions | boolean;
}

/** Options after checking. */
export interface CheckedOptions {
  readonly out: string;
  readonly model: Model | undefined;
  readonly clock: Clock | undefined;
  readonly concurrency: number | undefined;
  readonly limits: readonly RateLimitRule[] | undefined;
  readonly budgetUsd: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly retries: number | undefined;
  readonly progress: NodeJS.WritableStream | false;
  readonly signal: AbortSignal | undefined;
  readonly simulate: { readonly scenario: TeamScenario; readonly seed: number } | undefined;
}

const KEYS = new Set([
  'out',
  'model',
  'clock',
  'concurrency',
  'limits',
  'budgetUsd',
  'timeoutMs',
  'retries',
  'progress',
  'signal',
  'simulate',
]);

function checkSimulate(value: RunEvalOptions['simulate']): CheckedOptions['simulate'] {
  if (value === undefined || value === false) return undefined;
  const given = value === true ? {} : value;
  if (typeof given !== 'object' || given === null)
    throw invalidArgument('options.simulate must be true or { scenario?, seed? }');
  for (const key of Object.keys(given))
    if (key !== 'scenario' && key !== 'seed')
      throw invalidArgument(
        `options.simulate has an unknown field "${key}" (known: scenario, seed)`,
      );
  const scenario = parseTeamScenario(given.scenario ?? {}, 'options.simulate.scenario');
  const seed = given.seed ?? scenario.seed;
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= Number.MAX_SAFE_INTEGER))
    throw invalidArgument('options.simulate.seed must be a non-negative integer', { seed });
  return { scenario, seed };
}

/** Checks every option, naming the first bad one (`ERR_INVALID_ARGUMENT`). */
export function checkOptions(options: RunEvalOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object { out, model, ... }');
  for (const key of Object.keys(options))
    if (!KEYS.has(key))
      throw invalidArgument(
        `options has an unknown field "${key}" (known: ${[...KEYS].join(', ')})`,
      );
  const o = options;
  if (typeof o.out !== 'string' || o.out.length === 0)
    throw invalidArgument('options.out must be a directory path');
  const simulate = checkSimulate(o.simulate);
  if (o.model !== undefined && typeof o.model?.generate !== 'function')
    throw invalidArgument('options.model must be a Model');
  if (o.model === undefined && simulate === undefined)
    throw invalidArgument('options.model is required (or options.simulate)');
  if (
    o.clock !== undefined &&
    (typeof o.clock?.now !== 'function' || typeof o.clock.setTimeout !== 'function')
  )
    throw invalidArgument('options.clock must be a Clock');
  if (o.clock !== undefined && simulate !== undefined)
    throw invalidArgument(
      'options.clock: a rehearsal (options.simulate) runs on its own simulated clock',
    );
  const progress = o.progress ?? process.stderr;
  if (progress !== false && typeof (progress as NodeJS.WritableStream).write !== 'function')
    throw invalidArgument('options.progress must be a writable stream or false');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidArgument('options.signal must be an AbortSignal');
  return {
    out: o.out,
    model: o.model,
    clock: o.clock,
    concurrency:
      o.concurrency === undefined ? undefined : positiveInt('options.concurrency', o.concurrency),
    limits: o.limits === undefined ? undefined : checkLimits('options.limits', o.limits),
    budgetUsd: o.budgetUsd === undefined ? undefined : budget('options.budgetUsd', o.budgetUsd),
    timeoutMs: o.timeoutMs === undefined ? undefined : positiveMs('options.timeoutMs', o.timeoutMs),
    retries: o.retries === undefined ? undefined : nonNegativeInt('options.retries', o.retries),
    progress,
    signal: o.signal,
    simulate,
  };
}
