// Public API of @troupe/eval. Named exports only; types with `export type`.

export type { ChangedTask, EvalComparison, ScorerDelta } from './compare.js';
export { compareRuns, formatComparison } from './compare.js';
export type { RunEvalOptions, SimulateOptions } from './options.js';
export { renderEvalReport } from './report-html.js';
export type { EvalRun } from './run-eval.js';
export { BUDGET_KEY, runEval } from './run-eval.js';
export type { SafeParser, TextScorerOptions } from './scorers/builtin.js';
export { exact, includes, jsonSchema, outputText, regex } from './scorers/builtin.js';
export type { ModelGradedOptions } from './scorers/model-graded.js';
export { modelGraded } from './scorers/model-graded.js';
export type { MeanCi } from './stats.js';
export { meanWithCi, percentile } from './stats.js';
export type { ResolvedSuite } from './suite.js';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_RETRIES,
  DEFAULT_TASK_TIMEOUT_MS,
  defineSuite,
  loadJsonlDataset,
  resolveSuite,
} from './suite.js';
export type { EvalSummary } from './summary.js';
export { summarize } from './summary.js';
export type {
  EvalSuite,
  EvalTask,
  EvalTeamEnv,
  EvalTeamFactory,
  EvalTeamSpec,
  Score,
  Scorer,
  ScorerEnv,
  ScorerFunction,
  ScorerInput,
  TaskResult,
  TaskRun,
  TaskStatus,
} from './types.js';
