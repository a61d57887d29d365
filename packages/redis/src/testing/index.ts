// `@troupe/redis/testing`: a real redis-server for tests and benchmarks (no vitest inside).
export {
  assertRedisServerInstalled,
  freePort,
  startRedisServer,
  type TestRedisServer,
  type TestRedisServerOptions,
} from './redis-server.js';
