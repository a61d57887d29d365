// The checks live in ../backend/validate.ts (public as @troupe/core/backend, shared with remote
// backends); the shared state and the expiry wheel import them from here.
export {
  closedError,
  frozenJsonCopy,
  MAX_TIMER_MS,
  optionalRecord,
  optionalSignal,
  parseClaimQuery,
  parseDiscoverEntry,
  parseDiscoveryQuery,
  requireClock,
  requireDelay,
  requireDuration,
  requireIndex,
  requireName,
  requirePositiveInteger,
  requireRecord,
} from '../backend/validate.js';
