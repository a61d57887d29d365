// Public API of @troupe/redis. Named exports only; types with `export type`.

export type { BusGap, RedisBus, RedisBusOptions, RedisPostOptions } from './bus/bus.js';
export { createRedisBus } from './bus/bus.js';
export type { RedisDirectory, RedisDirectoryOptions } from './directory/directory.js';
export { createRedisDirectory } from './directory/directory.js';
export type {
  RedisBackendOptions,
  RedisClient,
  RedisInput,
  TimeSource,
} from './internal/options.js';
export { MAX_NAME_LENGTH } from './internal/options.js';
export type { StreamRetention } from './internal/retention.js';
export type { RedisRateLimiter, RedisRateLimiterOptions } from './limiter/limiter.js';
export { createRedisRateLimiter } from './limiter/limiter.js';
export type { RedisSessionStoreOptions } from './session/store.js';
export { createRedisSessionStore } from './session/store.js';
export type { RedisSharedState, RedisSharedStateOptions } from './state/shared-state.js';
export { createRedisSharedState } from './state/shared-state.js';
