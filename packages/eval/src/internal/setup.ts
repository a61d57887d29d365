import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AgentDefinition,
  type Clock,
  createRng,
  invalidArgument,
  type Model,
  type RateLimitRule,
} from '@troupe/core';
import type { CheckedOptions } from '../options.js';
import type { ResolvedSuite } from '../suite.js';
import type { EvalTask } from '../types.js';
import { withModel } from './run-task.js';
import { policyModel, stubTools } from './sim-model.js';

// What runEval sets up before the first task: its OUT, the suite's limiter rules, a rehearsal's
// stand-ins.

/** The limiter key of the suite's budget (a lifetime rule every model call takes a lease on). */
export const BUDGET_KEY = 'eval:budget';

/** The placeholder model of a rehearsal's team factory (every agent's is replaced). */
export const REHEARSAL_MODEL: Model = {
  id: 'eval:rehearsal',
  generate: () =>
    Promise.reject(new Error('a rehearsal replaces every agent model with a policy model')),
};

export interface OutMeta {
  readonly suite: string;
  readonly mode: 'live' | 'simulate';
  readonly seed?: number;
}

/** Claims OUT for this suite and mode; refuses one written by another suite or mode. */
export async function claimOut(out: string, meta: OutMeta): Promise<void> {
  await mkdir(out, { recursive: true });
  const path = join(out, 'eval.json');
  let existing: OutMeta | undefined;
  try {
    existing = JSON.parse(await readFile(path, 'utf8')) as OutMeta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing !== undefined) {
    if (existing.suite !== meta.suite || existing.mode !== meta.mode || existing.seed !== meta.seed)
      throw invalidArgument(
        `options.out: ${out} holds results of ${JSON.stringify(existing)}, not ${JSON.stringify(meta)}`,
      );
    return;
  }
  await writeFile(`${path}.tmp`, `${JSON.stringify(meta)}\n`);
  await rename(`${path}.tmp`, path);
}

/** The suite with the options' overrides. */
export function overridden(suite: ResolvedSuite, o: CheckedOptions): ResolvedSuite {
  return {
    ...suite,
    concurrency: o.concurrency ?? suite.concurrency,
    limits: o.limits ?? suite.limits,
    budgetUsd: o.budgetUsd ?? suite.budgetUsd,
    timeoutMs: o.timeoutMs ?? suite.timeoutMs,
    retries: o.retries ?? suite.retries,
  };
}

/** The suite's rules, the first task's team spec's rules for keys the suite does not name, the budget. */
export async function limiterRules(
  suite: ResolvedSuite,
  model: Model,
  clock: Clock,
  budgetLeft: number | undefined,
  extra: readonly RateLimitRule[],
): Promise<RateLimitRule[]> {
  const probe = new AbortController();
  const spec = await suite.team({ model, clock, signal: probe.signal, task: suite.tasks[0]! });
  probe.abort();
  const rules = [...suite.limits, ...extra];
  for (const rule of spec?.limits ?? [])
    if (!rules.some((r) => r.key === rule.key)) rules.push(rule);
  if (budgetLeft !== undefined) rules.push({ key: BUDGET_KEY, budgetUsd: budgetLeft });
  return rules;
}

/** The rehearsal's stand-ins for models and tools, seeded per (seed, task, agent). */
export function rehearsal(o: NonNullable<CheckedOptions['simulate']>, clock: Clock) {
  const { scenario, seed } = o;
  return {
    simulate: (definition: AgentDefinition, agent: string, task: EvalTask) => {
      const key = `${seed}:${task.id}:${agent}`;
      const own = definition.tools.map((t) => t.name);
      const model = policyModel(scenario, agent, own, clock, createRng(key));
      return withModel(definition, model, stubTools(definition.tools, scenario, clock, key));
    },
    judgeModel: (task: EvalTask, name: string) =>
      policyModel(scenario, name, [], clock, createRng(`${seed}:${task.id}:judge:${name}`)),
  };
}

/** A team scenario's extra limits as limiter rules (its unset fields left out). */
export function scenarioRules(
  scenario: NonNullable<CheckedOptions['simulate']>['scenario'],
): RateLimitRule[] {
  return scenario.limits.map(
    (r) =>
      Object.fromEntries(
        Object.entries(r).filter(([, v]) => v !== undefined),
      ) as unknown as RateLimitRule,
  );
}

/** Writes a file whole or not at all (a temporary file renamed over it). */
export async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}
