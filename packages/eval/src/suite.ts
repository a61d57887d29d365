import { readFile } from 'node:fs/promises';
import { invalidArgument, type RateLimitRule, TroupeError } from '@troupe/core';
import type { EvalSuite, EvalTask, Scorer } from './types.js';

/** Tasks running at once when a suite does not say (`concurrency`). */
export const DEFAULT_CONCURRENCY = 4;
/** Bound on one task when a suite does not say (`timeoutMs`): 10 minutes. */
export const DEFAULT_TASK_TIMEOUT_MS = 600_000;
/** Extra attempts of a transiently failed task when a suite does not say (`retries`). */
export const DEFAULT_RETRIES = 1;

const SUITE_KEYS = new Set([
  'name',
  'dataset',
  'team',
  'scorers',
  'concurrency',
  'limits',
  'budgetUsd',
  'timeoutMs',
  'retries',
]);
const TASK_KEYS = new Set(['id', 'input', 'expected', 'metadata']);
const RULE_KEYS = new Set(['key', 'windowMs', 'requests', 'tokens', 'budgetUsd']);
const MAX_ID = 200;

/**
 * Declares a suite (the identity function, for types). Its fields are checked by `runEval`.
 *
 * @example
 * ```ts
 * export default defineSuite({ name: 'smoke', dataset: 'tasks.jsonl', team, scorers: [exact()] });
 * ```
 */
export function defineSuite(suite: EvalSuite): EvalSuite {
  return suite;
}

/**
 * A suite with its dataset loaded and every field checked (what {@link resolveSuite} returns).
 *
 * @example
 * ```ts
 * const count = (s: ResolvedSuite) => s.tasks.length;
 * ```
 */
export interface ResolvedSuite {
  readonly name: string;
  readonly tasks: readonly EvalTask[];
  readonly team: EvalSuite['team'];
  readonly scorers: readonly Scorer[];
  readonly concurrency: number;
  readonly limits: readonly RateLimitRule[];
  readonly budgetUsd: number | undefined;
  readonly timeoutMs: number;
  readonly retries: number;
}

export function positiveInt(name: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1e6))
    throw invalidArgument(`${name} must be an integer from 1 to 1000000`, { [name]: value });
  return value;
}

export function nonNegativeInt(name: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 1000))
    throw invalidArgument(`${name} must be an integer from 0 to 1000`, { [name]: value });
  return value;
}

export function positiveMs(name: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 2 ** 31 - 1))
    throw invalidArgument(`${name} must be a positive number of milliseconds up to 2^31-1`, {
      [name]: value,
    });
  return value;
}

export function budget(name: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 1e9))
    throw invalidArgument(`${name} must be a positive number of dollars up to 1e9`, {
      [name]: value,
    });
  return value;
}

function unknownKeys(name: string, value: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(value))
    if (!known.has(key))
      throw invalidArgument(
        `${name} has an unknown field "${key}" (known: ${[...known].join(', ')})`,
      );
}

/** Checks rate-limit rules; names the field of the first problem. */
export function checkLimits(name: string, value: unknown): RateLimitRule[] {
  if (!Array.isArray(value)) throw invalidArgument(`${name} must be an array of limiter rules`);
  const keys = new Set<string>();
  return value.map((rule: unknown, i) => {
    const at = `${name}[${i}]`;
    if (typeof rule !== 'object' || rule === null) throw invalidArgument(`${at} must be an object`);
    unknownKeys(at, rule, RULE_KEYS);
    const r = rule as RateLimitRule;
    if (typeof r.key !== 'string' || r.key.length === 0 || r.key.length > 200)
      throw invalidArgument(`${at}.key must be a non-empty string`, { key: r.key });
    if (keys.has(r.key)) throw invalidArgument(`${at}.key "${r.key}" is named twice`);
    keys.add(r.key);
    if (r.windowMs !== undefined) positiveMs(`${at}.windowMs`, r.windowMs);
    if (r.requests !== undefined) positiveInt(`${at}.requests`, r.requests);
    if (
      r.tokens !== undefined &&
      !(Number.isInteger(r.tokens) && r.tokens >= 1 && r.tokens <= 1e12)
    )
      throw invalidArgument(`${at}.tokens must be an integer from 1 to 1e12`, { tokens: r.tokens });
    if (r.budgetUsd !== undefined) budget(`${at}.budgetUsd`, r.budgetUsd);
    return r;
  });
}

function checkTask(task: unknown, at: string): EvalTask {
  if (typeof task !== 'object' || task === null || Array.isArray(task))
    throw invalidArgument(`${at} must be an object { id, input, expected?, metadata? }`);
  unknownKeys(at, task, TASK_KEYS);
  const t = task as EvalTask;
  if (typeof t.id !== 'string' || t.id.length === 0 || t.id.length > MAX_ID)
    throw invalidArgument(`${at}.id must be a string of 1 to ${MAX_ID} characters`, { id: t.id });
  if (!('input' in t) || t.input === undefined) throw invalidArgument(`${at}.input is required`);
  if (t.metadata !== undefined && (typeof t.metadata !== 'object' || t.metadata === null))
    throw invalidArgument(`${at}.metadata must be an object`);
  return t;
}

/** Checks the tasks and that their ids are unique. */
export function checkTasks(tasks: readonly unknown[], source: string): EvalTask[] {
  const seen = new Map<string, number>();
  const out = tasks.map((task, i) => {
    const t = checkTask(task, `${source}[${i}]`);
    const first = seen.get(t.id);
    if (first !== undefined)
      throw invalidArgument(
        `dataset: task id "${t.id}" is used twice (${source}[${first}] and [${i}])`,
      );
    seen.set(t.id, i);
    return t;
  });
  if (out.length === 0) throw invalidArgument('dataset has no tasks');
  return out;
}

/**
 * Reads a JSONL dataset: one task per non-empty line, ids unique.
 *
 * @example
 * ```ts
 * const tasks = await loadJsonlDataset('datasets/capitals.jsonl');
 * ```
 */
export async function loadJsonlDataset(path: string): Promise<EvalTask[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TroupeError(
      'ERR_NOT_FOUND',
      `dataset ${path} cannot be read: ${(error as Error).message}`,
      {
        cause: error,
        details: { path },
      },
    );
  }
  const tasks: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      tasks.push(JSON.parse(line));
    } catch (error) {
      throw invalidArgument(
        `dataset ${path} line ${i + 1} is not JSON: ${(error as Error).message}`,
      );
    }
  }
  return checkTasks(tasks, `dataset ${path}`);
}

function checkScorers(value: unknown): Scorer[] {
  if (!Array.isArray(value) || value.length === 0)
    throw invalidArgument('scorers must be a non-empty array of scorers or functions');
  const names = new Set<string>();
  return value.map((s: unknown, i) => {
    const scorer: Scorer | undefined =
      typeof s === 'function'
        ? { name: s.name || `scorer${i}`, score: s as Scorer['score'] }
        : typeof s === 'object' && s !== null && typeof (s as Scorer).score === 'function'
          ? (s as Scorer)
          : undefined;
    if (scorer === undefined)
      throw invalidArgument(`scorers[${i}] must be a function or { name, score }`);
    if (typeof scorer.name !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(scorer.name))
      throw invalidArgument(`scorers[${i}].name must be 1-64 of [A-Za-z0-9_.:-]`, {
        name: scorer.name,
      });
    if (names.has(scorer.name))
      throw invalidArgument(
        `scorers[${i}]: two scorers are named "${scorer.name}" (give one a name)`,
      );
    names.add(scorer.name);
    return scorer;
  });
}

/**
 * Checks every field of a suite and loads its dataset; refuses a bad one with
 * `ERR_INVALID_ARGUMENT` naming the field, before any task runs.
 *
 * @example
 * ```ts
 * const { tasks } = await resolveSuite((await import('./suite.mjs')).default); // a dry check
 * ```
 */
export async function resolveSuite(suite: unknown): Promise<ResolvedSuite> {
  if (typeof suite !== 'object' || suite === null)
    throw invalidArgument('suite must be an object { name, dataset, team, scorers }');
  unknownKeys('suite', suite, SUITE_KEYS);
  const s = suite as EvalSuite;
  if (typeof s.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(s.name))
    throw invalidArgument('suite.name must be 1-64 of letters, digits, "_", "." or "-"', {
      name: s.name,
    });
  if (typeof s.team !== 'function')
    throw invalidArgument('suite.team must be a function ({ model, clock, task }) => team spec');
  const scorers = checkScorers(s.scorers);
  const tasks =
    typeof s.dataset === 'string'
      ? await loadJsonlDataset(s.dataset)
      : Array.isArray(s.dataset)
        ? checkTasks(s.dataset, 'dataset')
        : (() => {
            throw invalidArgument('suite.dataset must be an array of tasks or a JSONL path');
          })();
  return {
    name: s.name,
    tasks,
    team: s.team,
    scorers,
    concurrency:
      s.concurrency === undefined
        ? DEFAULT_CONCURRENCY
        : positiveInt('suite.concurrency', s.concurrency),
    limits: s.limits === undefined ? [] : checkLimits('suite.limits', s.limits),
    budgetUsd: s.budgetUsd === undefined ? undefined : budget('suite.budgetUsd', s.budgetUsd),
    timeoutMs:
      s.timeoutMs === undefined
        ? DEFAULT_TASK_TIMEOUT_MS
        : positiveMs('suite.timeoutMs', s.timeoutMs),
    retries: s.retries === undefined ? DEFAULT_RETRIES : nonNegativeInt('suite.retries', s.retries),
  };
}
