// Public API of @troupe/sim.
import { fileURLToPath } from 'node:url';

export type { RunTeamOptions, TeamRunResult } from './engine/run-team.js';
export { runTeam } from './engine/run-team.js';
export type { SimEvent, SimEventType } from './events.js';
export { LiveEventConverter } from './live-events.js';
export type { RunOutputs } from './output.js';
export { readEventLog, readEventLogWithHash, writeRunOutputs } from './output.js';
export type { EventLogSummary } from './read-log.js';
export { analyzeEventLogFile } from './read-log.js';
export type { ExchangeSink, Recorder } from './record/recorder.js';
export { createRecorder, recordingModel, recordingTool } from './record/recorder.js';
export type {
  RecordedExchange,
  RecordedModelCall,
  RecordedToolCall,
  Recording,
  RecordingHeader,
} from './record/recording.js';
export { readRecording } from './record/recording.js';
export type {
  AgentStats,
  AgentTimeline,
  Analysis,
  Bucket,
  Mark,
  RunTotals,
  Span,
  TeamAnalysis,
  TeamRow,
} from './report/analyze.js';
export { analyze, EventLogAnalyzer } from './report/analyze.js';
export type { ReportMeta } from './report/html.js';
export { renderReport } from './report/html.js';
export { AnalysisMerger, mergeAnalyses } from './report/merge.js';
export { TeamAnalyzer } from './report/team-analyzer.js';
export type {
  ReplayOptions,
  SimulationOptions,
  SimulationResult,
  TeamSimulationOptions,
} from './run-simulation.js';
export {
  closeSimulationPools,
  runReplaySimulation,
  runSimulation,
  runTeamSimulation,
} from './run-simulation.js';
export type { Scenario, ScenarioInput } from './scenario.js';
export { loadScenarioFile, parseScenario, scenarioSchema } from './scenario.js';
export { argsFromSchema } from './team/json-args.js';
export type { TeamSpec } from './team/load-module.js';
export { runTeamModule } from './team/run-team-module.js';
export type {
  PolicyInput,
  ScriptStep,
  TeamScenario,
  TeamScenarioInput,
} from './team/team-scenario.js';
export {
  loadTeamScenarioFile,
  parseTeamScenario,
  teamScenarioSchema,
} from './team/team-scenario.js';
export { writeSimulation } from './write-simulation.js';

/**
 * Path of the built-in refactor engine's shipped scenario: 8 agents refactor a 200-file
 * synthetic codebase, picking regions from one coordinated board (`troupe sim refactor-200.json`,
 * {@link runSimulation}). `troupe sim` with no scenario runs the refactor team module instead
 * ({@link refactorTeamModulePath}).
 *
 * @example
 * ```ts
 * const scenario = await loadScenarioFile(defaultScenarioPath);
 * ```
 */
export const defaultScenarioPath: string = fileURLToPath(
  new URL('../scenarios/refactor-200.json', import.meta.url),
);

/**
 * Path of the shipped refactor team module: 7 refactorers and a reviewer with an edit tool, the
 * limits and budget of refactor-200, written for `troupe run`. With
 * {@link refactorTeamScenarioPath} it is what `troupe sim` (and `npm start` in the repository)
 * simulates by default, through {@link runTeamSimulation} as `troupe sim --team` does.
 *
 * @example
 * ```ts
 * const scenario = await loadTeamScenarioFile(refactorTeamScenarioPath);
 * const result = await runTeamSimulation({ module: refactorTeamModulePath, scenario });
 * ```
 */
export const refactorTeamModulePath: string = fileURLToPath(
  new URL('../scenarios/refactor-team.mjs', import.meta.url),
);

/**
 * Path of the team scenario shipped with {@link refactorTeamModulePath}: each agent's stochastic
 * policy (latency, tokens, which tools, when to message and answer) and the faults of
 * refactor-200 (429s, 5xx, timeouts, crashes), seed 1.
 *
 * @example
 * ```ts
 * const scenario = await loadTeamScenarioFile(refactorTeamScenarioPath);
 * ```
 */
export const refactorTeamScenarioPath: string = fileURLToPath(
  new URL('../scenarios/refactor-team.json', import.meta.url),
);
