// The in-memory sliding-window rate limiter. See packages/core/docs/limiter.md.
export { createRateLimiter } from './limiter.js';
export type {
  RateLimiter,
  RateLimiterLease,
  RateLimiterOptions,
  RateLimiterResult,
} from './types.js';
