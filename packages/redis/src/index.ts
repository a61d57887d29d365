// Public API of @troupe/redis. Named exports only; types with `export type`.

export type { RedisBusOptions } from './bus.js';
export { createRedisBus } from './bus.js';
export type { RedisBackendOptions, RedisInput } from './internal/connection.js';
export type { RedisRateLimiter, RedisRateLimiterOptions } from './limiter/limiter.js';
export { createRedisRateLimiter } from './limiter/limiter.js';
export type { RedisSharedStateOptions } from './shared-state.js';
export { createRedisSharedState } from './shared-state.js';
