import { isTroupeError, type Usage } from '@troupe/core';
import type { EvalTask, Scorer, ScorerEnv, TaskResult, TaskRun, TaskStatus } from '../types.js';
import { addUsage, emptyUsage } from './usage.js';

/**
 * Runs every scorer on a finished task. A task that did not complete scores 0 on each (so the
 * means count failures); a scorer that throws scores 0 with the error as its note.
 */
export async function scoreTask(
  scorers: readonly Scorer[],
  args: {
    task: EvalTask;
    attempt: { status: TaskStatus; run: TaskRun; output: unknown };
    env: ScorerEnv;
  },
): Promise<{ scores: TaskResult['scores']; usage: Usage }> {
  const { task, attempt, env } = args;
  const usage = emptyUsage();
  const scores: Record<string, { score: number; note?: string }> = {};
  for (const scorer of scorers) {
    if (attempt.status !== 'completed') {
      scores[scorer.name] = { score: 0, note: `task ${attempt.status}` };
      continue;
    }
    try {
      const verdict = await scorer.score({
        input: task.input,
        expected: task.expected,
        output: attempt.output,
        run: attempt.run,
        task,
        env,
      });
      const value = typeof verdict === 'number' ? { score: verdict } : verdict;
      if (typeof value?.score !== 'number' || !Number.isFinite(value.score))
        throw new Error(
          `scorer "${scorer.name}" returned ${JSON.stringify(verdict)}, not a finite score`,
        );
      if (value.usage) addUsage(usage, value.usage);
      scores[scorer.name] =
        value.note === undefined
          ? { score: value.score }
          : { score: value.score, note: value.note };
    } catch (error) {
      const spent = isTroupeError(error) ? (error.details?.usage as Usage | undefined) : undefined;
      if (spent) addUsage(usage, spent);
      scores[scorer.name] = {
        score: 0,
        note: `scorer error: ${isTroupeError(error) ? `${error.code} ` : ''}${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  return { scores, usage };
}
