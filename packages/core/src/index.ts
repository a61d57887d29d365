// Public API of @troupe/core. Named exports only; types with `export type`.
export type { AgentDefinition, AgentOptions, OutputOf } from './agent/define-agent.js';
export { defineAgent } from './agent/define-agent.js';
export { DEFAULT_LEASE_TIMEOUT_MS } from './agent/lease.js';
export type { AgentInspector, WhenBusy } from './agent/machine.js';
export type { MailEnvelope, MailKind } from './agent/mail.js';
export { inboxTopic } from './agent/mail.js';
export type { RunResult } from './agent/run-result.js';
export type * from './backend/interfaces.js';
export type { BusOptions, MemoryBus } from './bus/bus.js';
export { createBus } from './bus/bus.js';
export type { Clock, TimerHandle } from './clock.js';
export { SimulatedClock, systemClock } from './clock.js';
export type { ModelWindow } from './context/model-windows.js';
export { modelWindow } from './context/model-windows.js';
export type {
  ContextOptions,
  PinnedOptions,
  SummarizeOptions,
  Tokenizer,
} from './context/policy.js';
export { DEFAULT_SUMMARY_TOKENS } from './context/policy.js';
export { DEFAULT_SUMMARY_INSTRUCTIONS, SUMMARY_HEADING } from './context/summarize.js';
export type { MemoryDirectoryOptions } from './directory/memory-directory.js';
export { createMemoryDirectory } from './directory/memory-directory.js';
export type {
  DirectoryEntry,
  DirectoryQuery,
  DirectoryRegistration,
  HostLease,
  TeamDirectory,
} from './directory/types.js';
export type { ErrorCode } from './errors.js';
export { abortedError, invalidArgument, isTroupeError, TroupeError } from './errors.js';
export type {
  EventListener,
  EventStream,
  EventStreamOptions,
  ListenerErrorHandler,
} from './events/event-hub.js';
export type {
  AgentState,
  ErrorInfo,
  RunStatus,
  TeamEvent,
  TeamEventOf,
  TeamEventType,
  ToolOutcome,
  Usage,
} from './events/team-events.js';
export type { IdGenerator, Rng } from './ids.js';
export { createIds, createRng } from './ids.js';
export type {
  RateLimiter,
  RateLimiterLease,
  RateLimiterOptions,
  RateLimiterResult,
} from './limiter/index.js';
export { createRateLimiter } from './limiter/index.js';
export type * from './model.js';
export { type AgentPoolOptions, configureAgentPool } from './placement/pool/agent-pool.js';
export type {
  AgentFactory,
  AgentModuleRef,
  AgentSource,
  PlacementOption,
  PoolOptions,
} from './placement/types.js';
export type { DerivedStats, Deriver } from './session/derived.js';
export { DerivedState, defineDeriver } from './session/derived.js';
export type { ExitProcess, FlushOnExitOptions } from './session/exit.js';
export { flushOnExit } from './session/exit.js';
export type { SessionLog, SessionLogOptions, SessionLogStats } from './session/log.js';
export { createSessionLog } from './session/log.js';
export { createMemorySessionStore } from './session/memory-store.js';
export { isSecretKey, redactSecrets } from './session/redact.js';
export type { ResidencyOptions, ResidencyStats } from './session/residency.js';
export type { RestoredSession } from './session/resume.js';
export { closeDanglingToolCalls, loadSession, RESUMED_TOOL_RESULT } from './session/resume.js';
export type { RetryOptions, WriteErrorHandler, WriteErrorInfo } from './session/retry.js';
export type {
  HistoryRange,
  SessionSaver,
  SessionSaverOptions,
  SessionSaverStats,
} from './session/saver.js';
export { createSessionSaver } from './session/saver.js';
export type {
  LogQuery,
  SerializedLogEntry,
  SessionLogEntry,
  SessionSnapshot,
  SessionStore,
  StoredLogEntry,
  UsageTotals,
} from './session/types.js';
export { SESSION_FORMAT_VERSION } from './session/types.js';
export type { MemorySharedState, SharedStateOptions } from './state/shared-state.js';
export { createSharedState, DEFAULT_CLAIM_TTL_MS, MAX_CLAIM_END } from './state/shared-state.js';
export type { AgentInfo, SpawnOptions, Team, TeamOptions } from './team/create-team.js';
export { createTeam } from './team/create-team.js';
export type { FollowOptions } from './team/distributed/events.js';
export type { DistributedOptions } from './team/distributed/options.js';
export type { SupervisionOptions } from './team/supervisor.js';
export type { AskRequest, TeamMember } from './team/team-tools.js';
export type {
  AgentRef,
  IdleOptions,
  MessageOptions,
  TeamRunOptions,
  TeamRunResult,
} from './team/types.js';
export type {
  AnyTool,
  ApprovalCheck,
  ApprovalContext,
  Tool,
  ToolContext,
  ToolOptions,
  ToolResultWithUpdates,
} from './tools/define-tool.js';
export { DEFAULT_TOOL_TIMEOUT_MS, defineTool, toolResult } from './tools/define-tool.js';
export type {
  JsonSchemaIssue,
  JsonToolArguments,
  JsonToolInput,
  JsonToolOptions,
} from './tools/json-tool.js';
export { defineJsonTool } from './tools/json-tool.js';
export { toolSpec } from './tools/schema-cache.js';
export { MAX_TOOL_ARGUMENT_CHARS, MAX_TOOL_ARGUMENT_DEPTH } from './tools/tool-bounds.js';
export type { Role } from './tools/tool-set.js';
export type { TracingOption, TracingOptions } from './tracing/options.js';
export { traceparent } from './tracing/traceparent.js';
export type { ContextState, ContextUpdate } from './updates/apply-updates.js';
export { applyUpdates } from './updates/apply-updates.js';
