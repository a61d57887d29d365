// One implementation shared with @troupe/redis's own tests.
export {
  assertRedisServerInstalled,
  freePort,
  startRedisServer,
  type TestRedisServer,
} from '../../packages/redis/test/helpers/redis-server.js';
