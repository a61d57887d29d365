import {
  createBus,
  createSharedState,
  createTeam,
  defineAgent,
  invalidArgument,
  type Model,
  TroupeError,
} from '@troupe/core';
import { z } from 'zod';
import type { Scorer, ScorerInput } from '../types.js';
import { outputText } from './builtin.js';

/**
 * Options of {@link modelGraded}.
 *
 * @example
 * ```ts
 * const options: ModelGradedOptions = { rubric: 'Is the answer polite and correct?', name: 'polite' };
 * ```
 */
export interface ModelGradedOptions {
  /** What the judge checks, in plain words. */
  readonly rubric: string;
  /** Scorer name in results (default `modelGraded`). */
  readonly name?: string;
  /** The judge's model (default: the suite's model; in a simulation, a policy model). */
  readonly model?: Model;
  /** Extra instructions for the judge. */
  readonly instructions?: string;
}

const verdictSchema = z.object({
  score: z.number().min(0).max(1),
  reasoning: z.string(),
});

const OPTIONS = new Set(['rubric', 'name', 'model', 'instructions']);

function prompt(rubric: string, { input, expected, output }: ScorerInput): string {
  const parts = [
    `Rubric:\n${rubric}`,
    `Task input:\n${outputText(input)}`,
    ...(expected === undefined ? [] : [`Reference answer:\n${outputText(expected)}`]),
    `Answer to grade:\n${outputText(output)}`,
    'Reply with JSON { "score": a number from 0 to 1, "reasoning": one or two sentences }.',
  ];
  return parts.join('\n\n');
}

/**
 * A rubric judged by a model: a judge agent with a structured `{ score, reasoning }` output.
 * Its calls go through the suite's one limiter (rate limits and budget) like every team's, and
 * what it spends is added to the task's usage and cost.
 *
 * @example
 * ```ts
 * modelGraded({ rubric: 'Does the answer name the capital and nothing false?' });
 * ```
 */
export function modelGraded(options: ModelGradedOptions): Scorer {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('modelGraded(options): options must be an object { rubric }');
  for (const key of Object.keys(options))
    if (!OPTIONS.has(key)) throw invalidArgument(`modelGraded(options): unknown option "${key}"`);
  if (typeof options.rubric !== 'string' || options.rubric.trim() === '')
    throw invalidArgument('modelGraded(options): rubric must be a non-empty string');
  const name = options.name ?? 'modelGraded';
  if (typeof name !== 'string' || name.length === 0)
    throw invalidArgument('modelGraded(options): name must be a non-empty string');
  if (options.model !== undefined && typeof options.model?.generate !== 'function')
    throw invalidArgument('modelGraded(options): model must be a Model');
  return {
    name,
    async score(input) {
      const { env } = input;
      const model = options.model ?? env.judgeModel(name);
      const clock = env.clock;
      const team = createTeam({
        clock,
        state: createSharedState({ clock }),
        limiter: env.limiter,
        bus: createBus({ clock }),
        ...(env.limiterKeys.length > 0 ? { limiterKeys: env.limiterKeys } : {}),
        leaseTimeoutMs: env.leaseTimeoutMs,
      });
      try {
        await team.spawn(
          defineAgent({
            name: 'judge',
            instructions:
              options.instructions ??
              'You grade answers against a rubric. Be strict and consistent; answer only with the JSON asked for.',
            model,
            maxTurns: 3,
            output: verdictSchema,
          }),
          { name: 'judge' },
        );
        const result = await team.send('judge', prompt(options.rubric, input));
        if (result.status !== 'completed' || result.output === undefined)
          throw new TroupeError(
            (result.error?.code as 'ERR_INTERNAL' | undefined) ?? 'ERR_INTERNAL',
            `the judge ended ${result.status}${result.error ? `: ${result.error.message}` : ''}`,
            // What the judge spent is the task's cost even when it fails.
            { details: { usage: result.usage } },
          );
        const verdict = result.output as z.output<typeof verdictSchema>;
        return { score: verdict.score, note: verdict.reasoning, usage: result.usage };
      } finally {
        await team.close();
      }
    },
  };
}
