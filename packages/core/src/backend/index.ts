/**
 * `@troupe/core/backend`: input checks and small helpers for implementers of
 * `SharedStateBackend`, `LimiterBackend`, `BusBackend`, `SessionStore` and `TeamDirectory`, and
 * for packages that start worker threads of their own (`workerExecArgv`).
 *
 * Every backend must refuse bad input identically (the same `ERR_INVALID_ARGUMENT` messages,
 * before anything is stored) so that one contract suite holds for all of them. The in-memory
 * backends of `@troupe/core` use exactly these functions; a remote backend (`@troupe/redis`)
 * imports them instead of copying them.
 *
 * @example
 * ```ts
 * import { parseClaimQuery, requireName } from '@troupe/core/backend';
 *
 * async function release(agent: string, resource: string): Promise<boolean> {
 *   requireName(agent, 'agent');
 *   requireName(resource, 'resource');
 *   return releaseOnServer(agent, resource);
 * }
 * ```
 *
 * @packageDocumentation
 */

export {
  checkDirectoryName,
  DEFAULT_HOST_TTL_MS,
  MAX_DIRECTORY_NAME,
  parseDirectoryQuery,
  parseHostTtl,
  parseRegistration,
  requireBoundedName,
} from '../directory/checks.js';
export { rateLimitedError } from '../limiter/admission.js';
export {
  checkIndex,
  checkLogEntries,
  checkLogEntry,
  checkLogQuery,
  checkMessages,
  checkSerializedLogEntries,
  checkSessionId,
  checkSnapshot,
  historyGapError,
  unknownVersion,
} from '../session/checks.js';
export { workerExecArgv } from '../worker-argv.js';
export type { JsonLimits } from './json-value.js';
export { checkJsonValue, jsonProblem, MAX_JSON_DEPTH } from './json-value.js';
export {
  DEFAULT_MAX_FEEDBACK_PAUSE_MS,
  feedbackPause,
  parseFeedback,
} from './limiter-feedback.js';
export type { RuleSpec, Weight } from './limiter-options.js';
export {
  checkCapacity,
  MAX_COST_USD,
  MAX_COUNTER,
  MAX_LIMIT_UNITS,
  NANOS_PER_USD,
  parseKeys,
  parseRules,
  parseSettle,
  parseWeight,
  toNanos,
} from './limiter-options.js';
export type { LongTimeout } from './long-timeout.js';
export { setLongTimeout } from './long-timeout.js';
export {
  DEFAULT_READ_LIMIT,
  parseClaimQuery,
  parseClaimRange,
  parseDiscoverEntry,
  parseDiscoveryQuery,
  parseReadOptions,
  parseWaitOptions,
} from './method-inputs.js';
export {
  checkOptionNames,
  closedError,
  frozenJsonCopy,
  jsonText,
  MAX_TIMER_MS,
  optionalRecord,
  optionalSignal,
  requireClock,
  requireDelay,
  requireDuration,
  requireIndex,
  requireName,
  requirePositiveInteger,
  requireRecord,
} from './validate.js';
