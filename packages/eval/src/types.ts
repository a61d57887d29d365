import type {
  AgentDefinition,
  Clock,
  LimiterBackend,
  Model,
  RateLimitRule,
  RunStatus,
  Usage,
} from '@troupe/core';

/**
 * One task of a dataset: what the team is given, what a scorer may compare with, and anything
 * else to keep beside the result. Ids are unique in a suite (checked before anything runs).
 *
 * @example
 * ```ts
 * const task: EvalTask = { id: 'capital-fr', input: 'Capital of France?', expected: 'Paris' };
 * ```
 */
export interface EvalTask<TInput = unknown, TExpected = unknown> {
  readonly id: string;
  /** The message the team gets: a string as it is, anything else as JSON. */
  readonly input: TInput;
  readonly expected?: TExpected;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * What a suite's team factory returns: the same spec `troupe run` takes from a team module
 * (agents, optional limits, the first agent as `to`). Its `task` is unused: the dataset task's
 * input is the message.
 *
 * @example
 * ```ts
 * const spec: EvalTeamSpec = { agents: [defineAgent({ name: 'solver', instructions: 'Answer.', model })] };
 * ```
 */
export interface EvalTeamSpec {
  readonly agents: readonly (
    | AgentDefinition
    | { definition: AgentDefinition; name: string; role?: string }
  )[];
  readonly task?: string;
  /** Who gets the task (default: the first agent). */
  readonly to?: string;
  /** Rules shared by the whole suite, beside the suite's own `limits` (which win on a key). */
  readonly limits?: readonly RateLimitRule[];
}

/**
 * What the team factory is called with, once per task (the team is built afresh each time).
 *
 * @example
 * ```ts
 * const team = ({ model, task }: EvalTeamEnv) => ({ agents: [defineAgent({ name: 'a', instructions: `Task ${task.id}`, model })] });
 * ```
 */
export interface EvalTeamEnv {
  readonly model: Model;
  readonly clock: Clock;
  /** Aborts when the task ends: close whatever the team opened with it. */
  readonly signal: AbortSignal;
  readonly task: EvalTask;
}

/** A suite's team factory. */
export type EvalTeamFactory = (env: EvalTeamEnv) => EvalTeamSpec | Promise<EvalTeamSpec>;

/**
 * How one task's team run ended, as scorers and results see it.
 *
 * @example
 * ```ts
 * const costly = (run: TaskRun) => run.usage.costUsd > 0.05;
 * ```
 */
export interface TaskRun {
  /** `completed`, a run status of the addressed agent, `timeout` or `max_turns_total`. */
  readonly status: TaskStatus;
  /** The addressed agent's answer text. */
  readonly text: string;
  /** Each agent's last completed answer, by name. */
  readonly answers: Readonly<Record<string, string>>;
  /** Model calls across the team. */
  readonly turns: number;
  readonly usage: Usage;
  readonly latencyMs: number;
}

/** How a task ended. */
export type TaskStatus = RunStatus | 'timeout' | 'max_turns_total';

/**
 * What a scorer sees.
 *
 * @example
 * ```ts
 * const lengthScorer = ({ output }: ScorerInput) => (String(output).length < 200 ? 1 : 0);
 * ```
 */
export interface ScorerInput {
  readonly input: unknown;
  readonly expected: unknown;
  /** The addressed agent's structured output when it has an `output` schema, else its text. */
  readonly output: unknown;
  readonly run: TaskRun;
  readonly task: EvalTask;
  /** The suite's services, for scorers that call a model (`modelGraded`). */
  readonly env: ScorerEnv;
}

/**
 * The services a scorer may use: the suite's model, clock, its one limiter and the keys every
 * model call of the suite takes a lease on (rate limits and the budget).
 *
 * @example
 * ```ts
 * const keys = (env: ScorerEnv) => env.limiterKeys.join(',');
 * ```
 */
export interface ScorerEnv {
  readonly model: Model;
  readonly clock: Clock;
  readonly limiter: LimiterBackend;
  readonly limiterKeys: readonly string[];
  readonly signal: AbortSignal;
  /** A model in place of `model` for a named judge (the simulation's policy model). */
  readonly judgeModel: (name: string) => Model;
  /** Bound on one lease wait of a judge. */
  readonly leaseTimeoutMs: number;
}

/**
 * A scorer's verdict: a number, or one with a note. `usage` is what the scorer itself spent
 * (a judge's model calls): it is added to the task's usage and cost.
 *
 * @example
 * ```ts
 * const verdict: Score = { score: 0.5, note: 'half the steps' };
 * ```
 */
export type Score =
  | number
  | { readonly score: number; readonly note?: string; readonly usage?: Usage };

/** A scorer as a plain function. */
export type ScorerFunction = (input: ScorerInput) => Score | Promise<Score>;

/**
 * A named scorer (the built-ins are these; a plain function is one named after itself).
 *
 * @example
 * ```ts
 * const short: Scorer = { name: 'short', score: ({ output }) => (String(output).length < 80 ? 1 : 0) };
 * ```
 */
export interface Scorer {
  readonly name: string;
  score: ScorerFunction;
}

/**
 * A benchmark suite: a suite module's default export, or what `runEval` takes.
 *
 * @example
 * ```ts
 * export default defineSuite({
 *   name: 'capitals',
 *   dataset: [{ id: 'fr', input: 'Capital of France?', expected: 'Paris' }],
 *   team: ({ model }) => ({ agents: [defineAgent({ name: 'geo', instructions: 'Answer in one word.', model })] }),
 *   scorers: [includes()],
 *   limits: [{ key: 'openai', windowMs: 60_000, requests: 500 }],
 *   concurrency: 8,
 * });
 * ```
 */
export interface EvalSuite {
  readonly name: string;
  /** The tasks, or the path of a JSONL file of them (relative paths: from the working directory). */
  readonly dataset: readonly EvalTask[] | string;
  readonly team: EvalTeamFactory;
  readonly scorers: readonly (Scorer | ScorerFunction)[];
  /** Tasks running at once (default 4). */
  readonly concurrency?: number;
  /** Rate limits shared by every task of the suite: one limiter for all. */
  readonly limits?: readonly RateLimitRule[];
  /** Dollars the whole suite may spend (model calls of teams and judges). */
  readonly budgetUsd?: number;
  /** Bound on one task, on the suite's clock (default 10 minutes). */
  readonly timeoutMs?: number;
  /** Extra attempts of a task that failed for a transient reason (default 1). */
  readonly retries?: number;
}

/**
 * One line of `OUT/results.jsonl`: a finished task.
 *
 * @example
 * ```ts
 * const failed = (r: TaskResult) => r.status !== 'completed';
 * ```
 */
export interface TaskResult {
  readonly id: string;
  readonly status: TaskStatus;
  readonly output: unknown;
  readonly scores: Readonly<Record<string, { readonly score: number; readonly note?: string }>>;
  readonly usage: Usage;
  readonly costUsd: number;
  readonly latencyMs: number;
  /** Time the task's agents waited for limiter leases (summed over agents). */
  readonly leaseWaitMs: number;
  readonly attempts: number;
  /** When the task started and ended on the suite's clock. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly error?: { readonly code: string; readonly message: string };
}
